"""Live facts come from the devices themselves: a change made behind the toolkit's back is seen."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

from sipelangi_net.analysis.facts import gather
from sipelangi_net.credentials import Credentials
from sipelangi_net.inventory import load_inventory
from tests.lab.conftest import ROOT, lab_exec

INVENTORY = ROOT / "inventory"


def test_gather_reads_every_device(creds: Credentials) -> None:
    live = gather(INVENTORY, creds)
    assert set(live.devices) == set(load_inventory(INVENTORY).devices)
    assert live.unreachable() == []
    router = live.devices["dist-gerunggang"]
    assert router.platform == "frr"
    assert IPv4Interface("10.255.0.6/30") in router.addresses["eth0"]
    assert IPv4Network("0.0.0.0/0") in router.routes
    assert IPv4Network("10.255.0.4/30") in router.subnets()
    switch = live.devices["sw-dinkes"]
    assert switch.platform == "ovs"
    assert {port: switch.port_vlans[port] for port in ("eth1", "eth2", "eth3", "eth4")} == dict.fromkeys(
        ("eth1", "eth2", "eth3", "eth4"), 999
    )
    assert switch.descriptions["eth0"] == "ke dist-gerunggang"
    assert 999 in switch.vlans()
    assert IPv4Network("10.10.10.0/24") in live.subnets_in_use()


def test_gather_only_the_named_devices(creds: Credentials) -> None:
    live = gather(INVENTORY, creds, ["sw-dinkes", "dist-gerunggang"], workers=2)
    assert sorted(live.devices) == ["dist-gerunggang", "sw-dinkes"]
    assert all(d.reachable for d in live.devices.values())


def test_changes_behind_the_toolkits_back_are_seen(creds: Credentials) -> None:
    vlan, subnet = 130, IPv4Network("10.20.9.0/24")
    before = gather(INVENTORY, creds, ["sw-dinkes", "dist-gerunggang"])
    assert vlan not in before.devices["sw-dinkes"].vlans()
    assert subnet not in before.subnets_in_use()
    try:
        lab_exec("sw-dinkes", "ovs-vsctl", "set", "Port", "eth2", f"tag={vlan}")
        lab_exec(
            "dist-gerunggang",
            "vtysh",
            "-c",
            "configure terminal",
            "-c",
            "interface eth1",
            "-c",
            "ip address 10.20.9.1/24",
        )
        after = gather(INVENTORY, creds, ["sw-dinkes", "dist-gerunggang"])
        assert after.unreachable() == []
        assert after.devices["sw-dinkes"].port_vlans["eth2"] == vlan
        assert vlan in after.devices["sw-dinkes"].vlans()
        assert after.devices["dist-gerunggang"].addresses["eth1"] == (IPv4Interface("10.20.9.1/24"),)
        assert subnet in after.subnets_in_use()
    finally:
        lab_exec("sw-dinkes", "ovs-vsctl", "set", "Port", "eth2", "tag=999", check=False)
        lab_exec(
            "dist-gerunggang",
            "vtysh",
            "-c",
            "configure terminal",
            "-c",
            "interface eth1",
            "-c",
            "no ip address 10.20.9.1/24",
            check=False,
        )
    restored = gather(INVENTORY, creds, ["sw-dinkes", "dist-gerunggang"])
    assert restored.devices["sw-dinkes"].port_vlans == before.devices["sw-dinkes"].port_vlans
    assert restored.devices["dist-gerunggang"].addresses == before.devices["dist-gerunggang"].addresses


def test_unknown_host_keys_make_every_device_unreachable(creds: Credentials, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    live = gather(INVENTORY, dataclasses.replace(creds, known_hosts=empty))
    assert len(live.devices) == len(load_inventory(INVENTORY).devices)
    assert all(not d.reachable for d in live.devices.values())
    assert all("known_hosts" in d.error for d in live.devices.values()), live.unreachable()
    assert all(d.addresses == {} and d.port_vlans == {} for d in live.devices.values())
    assert live.subnets_in_use() == frozenset()
    assert len(live.unreachable()) == len(live.devices)
