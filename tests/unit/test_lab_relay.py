"""The lab routers' DHCP relay (sipelangi_net.lab.relay): which ports it relays, and how it runs dhcrelay.

The answers below are what ``ip -o`` printed in the lab's dist-tamansari (FRR) at day-0 and after
a change gave eth1 the OPD gateway address; the relay itself runs in every lab test that deploys.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_edit import edit_yaml

from sipelangi_net.errors import InventoryError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.lab.relay import addressed, interfaces, relay_argv
from sipelangi_net.lab.topology import build_topology

VALID = "\\       valid_lft forever preferred_lft forever\n"
DAY0_ADDR = (
    f"1: lo    inet 127.0.0.1/8 scope host lo{VALID}"
    f"1: lo    inet 10.255.255.2/32 brd 10.255.255.2 scope global lo{VALID}"
    f"2: eth0    inet 10.255.0.2/30 brd 10.255.0.3 scope global eth0{VALID}"
)
CHANGED_ADDR = DAY0_ADDR + f"3: eth1    inet 10.20.0.1/25 brd 10.20.0.127 scope global eth1{VALID}"
LINKS = (
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default"
    " qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
    "2: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc tbf state UP mode DEFAULT group default"
    " qlen 1000\\    link/ether 2e:38:23:90:93:6f brd ff:ff:ff:ff:ff:ff link-netns spl-core-diskominfo\n"
    "3: eth1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc tbf state UP mode DEFAULT group default"
    " qlen 1000\\    link/ether 8a:65:8e:b7:7a:eb brd ff:ff:ff:ff:ff:ff link-netns spl-sw-bappeda\n"
    "4: eth2@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc tbf state UP mode DEFAULT group default"
    " qlen 1000\\    link/ether e2:be:fb:77:aa:1e brd ff:ff:ff:ff:ff:ff link-netns spl-sw-disdukcapil\n"
)


def test_only_the_opd_ports_that_have_an_address_are_relayed() -> None:
    assert addressed(("eth1", "eth2"), DAY0_ADDR) == ()
    assert addressed(("eth1", "eth2"), CHANGED_ADDR) == ("eth1",)
    assert addressed(("eth2", "eth1"), CHANGED_ADDR + CHANGED_ADDR.replace("eth1", "eth2")) == (
        "eth2",
        "eth1",
    )


def test_every_other_interface_is_upstream_and_the_relay_runs_in_the_foreground() -> None:
    assert interfaces(LINKS) == ("eth0", "eth1", "eth2")
    argv = relay_argv("10.10.10.40", ["eth1"], ["eth0", "eth2"], "/run/x/relay-dhcrelay.pid")
    assert argv == [
        "dhcrelay", "-4", "-d", "-q", "-pf", "/run/x/relay-dhcrelay.pid",
        "-id", "eth1", "-iu", "eth0", "-iu", "eth2", "10.10.10.40",
    ]  # fmt: skip


def test_the_routers_whose_platform_relays_relay_their_opd_ports_to_the_central_server(inv_dir: Path) -> None:
    topo = build_topology(load_inventory(inv_dir))
    relays = {n.name: (n.relay_ports, str(n.relay_to)) for n in topo.devices if n.relay_ports}
    assert relays == {
        "dist-tamansari": (("eth1", "eth2"), "10.10.10.40"),
        "dist-gerunggang": (("eth1", "eth2"), "10.10.10.40"),
        "dist-bukitintan": (("eth1",), "10.10.10.40"),
    }
    assert ("dhcp", "udp", 67) in topo.nodes["srv-dhcp"].services
    edit_yaml(inv_dir / "servers.yaml", lambda d: {k: v for k, v in d.items() if k != "dhcp"})
    assert not any(n.relay_ports or n.relay_to for n in build_topology(load_inventory(inv_dir)).devices)


def test_a_central_dhcp_server_needs_https_off_loopback_and_a_known_server(inv_dir: Path) -> None:
    def dhcp(url: str, server: str = "srv-dhcp") -> None:
        edit_yaml(inv_dir / "servers.yaml", lambda d: {**d, "dhcp": {"server": server, "control_url": url}})

    dhcp("https://dhcp.pangkalpinang.go.id:8000/")
    assert load_inventory(inv_dir).servers.dhcp is not None
    dhcp("http://10.10.10.40:8000/")
    with pytest.raises(InventoryError, match=r"servers.yaml: dhcp.control_url: .*https://"):
        load_inventory(inv_dir)
    dhcp("https://dhcp.pangkalpinang.go.id/", server="srv-nope")
    with pytest.raises(InventoryError, match=r"servers.yaml: dhcp.server: unknown server 'srv-nope'"):
        load_inventory(inv_dir)
