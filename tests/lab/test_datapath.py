"""The data path is real: an OPD PC reaches the server segment only through routes.

The test does by hand what provisioning will do for the Dinkes site (VLAN on
the access switch, gateway on the distribution router, route at the core),
then removes the core route again and sees traffic fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.lab.conftest import lab_exec

VLAN = "120"
GATEWAY = "10.20.1.1/24"
PC = "10.20.1.10/24"
ROUTE = "ip route 10.20.1.0/24 10.255.0.6"


def ping(target: str) -> bool:
    return lab_exec("pc-dinkes", "ping", "-c", "1", "-W", "1", target, check=False).returncode == 0


def vtysh(router: str, *lines: str) -> None:
    args = ["vtysh", "-c", "configure terminal"]
    for line in lines:
        args += ["-c", line]
    lab_exec(router, *args)


@pytest.fixture
def dinkes_access(lab: dict[str, Any]) -> Iterator[None]:
    lab_exec(
        "sw-dinkes",
        "ovs-vsctl",
        "set",
        "port",
        "eth0",
        f"tag={VLAN}",
        "--",
        "set",
        "port",
        "eth1",
        f"tag={VLAN}",
    )
    vtysh("dist-gerunggang", "interface eth1", f"ip address {GATEWAY}")
    lab_exec("pc-dinkes", "ip", "addr", "add", PC, "dev", "eth0")
    lab_exec("pc-dinkes", "ip", "route", "add", "default", "via", GATEWAY.split("/", maxsplit=1)[0])
    try:
        yield
    finally:
        lab_exec("pc-dinkes", "ip", "addr", "flush", "dev", "eth0", check=False)
        vtysh("dist-gerunggang", "interface eth1", f"no ip address {GATEWAY}")
        vtysh("core-diskominfo", f"no {ROUTE}")
        lab_exec(
            "sw-dinkes", "ovs-vsctl", "set", "port", "eth0", "tag=[]", "--", "set", "port", "eth1", "tag=999"
        )


def test_opd_pc_reaches_servers_only_with_the_core_route(dinkes_access: None) -> None:
    assert ping("10.20.1.1"), "the PC must reach its gateway on dist-gerunggang"
    assert not ping("10.10.10.10"), "without the core route the server segment must be unreachable"

    vtysh("core-diskominfo", ROUTE)
    assert ping("10.10.10.10")
    fetch = (
        "import urllib.request as u; print(u.urlopen('http://10.10.10.10:8001/', timeout=3).read().decode())"
    )
    page = lab_exec("pc-dinkes", "python3", "-c", fetch)
    assert json.loads(page.stdout) == {"service": "simpeg", "host": "srv-apps", "path": "/"}

    vtysh("core-diskominfo", f"no {ROUTE}")
    assert not ping("10.10.10.10")


def test_wrong_vlan_on_the_access_port_cuts_the_pc_off(dinkes_access: None) -> None:
    assert ping("10.20.1.1")
    lab_exec("sw-dinkes", "ovs-vsctl", "set", "port", "eth1", "tag=121")
    assert not ping("10.20.1.1")
    lab_exec("sw-dinkes", "ovs-vsctl", "set", "port", "eth1", f"tag={VLAN}")
    assert ping("10.20.1.1")


def test_iperf3_through_a_shaped_site_uplink(dinkes_access: None) -> None:
    """dinkes' uplink is 100 Mbit/s (sites.yaml): iperf3 measures close to it, not more."""
    vtysh("core-diskominfo", ROUTE)
    out = lab_exec("pc-dinkes", "iperf3", "-c", "10.10.10.20", "-t", "2", "-J").stdout
    mbit = json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e6
    assert 85 < mbit <= 101, mbit
