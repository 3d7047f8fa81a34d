"""Every lab device is real software that answers over SSH with its own identity."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.ssh import exec_command
from sipelangi_net.errors import DeviceAuthError, HostKeyError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.lab.runtime import is_alive, read_pid
from sipelangi_net.lab.show import collect
from tests.lab.conftest import ROOT, cli, lab_exec, lab_json
from tests.lab.faults import lab_device


def test_status_lists_every_inventory_device(lab: dict[str, Any]) -> None:
    inv = load_inventory(ROOT / "inventory")
    assert lab["state"] == "up", lab["problems"]
    got = {d["name"]: d for d in lab["devices"]}
    assert set(got) == set(inv.devices)
    for name, dev in inv.devices.items():
        assert got[name]["platform"] == dev.platform.value
        assert (got[name]["host"], got[name]["port"]) == (dev.hostname, dev.port)
        assert got[name]["answers"] is True


def test_every_device_answers_with_its_own_hostname(creds: Credentials) -> None:
    """Nornir + Netmiko log in to each device: FRR's running config, OVS's state."""
    summaries = collect(ROOT / "inventory", creds)
    assert len(summaries) == 10
    for s in summaries:
        assert s.ok, f"{s.name}: {s.error}"
        assert s.identity == s.name
        if s.platform == "frr":
            assert s.interfaces >= 2 and s.addresses
        else:
            assert s.interfaces >= 2 and s.vlans


def test_frr_running_config_is_from_the_inventory(creds: Credentials) -> None:
    out = exec_command("dist-gerunggang", "127.2.0.3", 2022, creds, "show running-config")
    assert "hostname dist-gerunggang" in out
    assert "ip address 10.255.0.6/30" in out
    assert "ip route 0.0.0.0/0 10.255.0.5" in out


def test_password_authentication_works(creds: Credentials) -> None:
    pw_only = dataclasses.replace(creds, ssh_key=None)
    assert pw_only.password
    out = exec_command("sw-dinkes", "127.2.1.4", 2022, pw_only, "hostname")
    assert out.strip() == "sw-dinkes"


def test_nornir_netmiko_with_password_only(creds: Credentials) -> None:
    summaries = collect(ROOT / "inventory", dataclasses.replace(creds, ssh_key=None))
    assert [s.name for s in summaries if not s.ok] == []
    assert all(s.identity == s.name for s in summaries)


def test_wrong_password_is_refused(creds: Credentials) -> None:
    bad = dataclasses.replace(creds, ssh_key=None, password="not-the-password")
    with pytest.raises(DeviceAuthError, match="sw-dinkes"):
        exec_command("sw-dinkes", "127.2.1.4", 2022, bad, "hostname")


def test_unknown_host_key_is_refused(creds: Credentials, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyError, match="not in"):
        exec_command(
            "core-diskominfo",
            "127.2.0.1",
            2022,
            dataclasses.replace(creds, known_hosts=empty),
            "show version",
        )


def test_changed_host_key_is_refused(creds: Credentials, tmp_path: Path) -> None:
    """A known_hosts entry holding another device's key = a changed key: refused."""
    assert creds.known_hosts is not None
    lines = creds.known_hosts.read_text().splitlines()
    other_key = next(ln for ln in lines if ln.startswith("[127.2.0.2]")).split(" ", 1)[1]
    forged = [ln for ln in lines if not ln.startswith("[127.2.0.1]")] + [f"[127.2.0.1]:2022 {other_key}"]
    path = tmp_path / "known_hosts"
    path.write_text("\n".join(forged) + "\n")
    with pytest.raises(HostKeyError, match="differs"):
        exec_command(
            "core-diskominfo", "127.2.0.1", 2022, dataclasses.replace(creds, known_hosts=path), "show version"
        )


def test_nornir_refuses_unknown_host_key(creds: Credentials, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    summaries = collect(ROOT / "inventory", dataclasses.replace(creds, known_hosts=empty))
    assert summaries and all(not s.ok for s in summaries)
    assert all("known_hosts" in s.error for s in summaries), summaries[0].error


def test_exec_reaches_each_nodes_own_daemons(lab: dict[str, Any]) -> None:
    assert (
        "hostname dist-tamansari" in lab_exec("dist-tamansari", "vtysh", "-c", "show running-config").stdout
    )
    assert "Bridge br0" in lab_exec("sw-bappeda", "ovs-vsctl", "show").stdout
    assert lab_exec("sw-bappeda", "hostname").stdout.strip() == "sw-bappeda"
    assert lab_exec("srv-apps", "hostname").stdout.strip() == "srv-apps"


def test_exec_unknown_node_is_a_clear_error(lab: dict[str, Any]) -> None:
    proc = cli("lab", "exec", "no-such-router", "--", "true", check=False)
    assert proc.returncode == 4
    assert "no-such-router: no such lab node" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_link_capacity_is_applied_by_tc(lab: dict[str, Any]) -> None:
    """The site uplink of kec-bukitintan is a 10 Mbit/s radio link (sites.yaml)."""
    qdisc = lab_exec("dist-bukitintan", "tc", "qdisc", "show", "dev", "eth1").stdout
    assert "tbf" in qdisc and "rate 10Mbit" in qdisc


def test_watchfrr_restarts_a_killed_bgpd(lab: dict[str, Any]) -> None:
    """FRR's watchfrr supervises each lab router: bgpd killed by its PID is started again, with
    its part of the saved config, and takes configuration (a corpus file once crashed bgpd)."""
    run = lab_device("dist-bukitintan").paths.node("dist-bukitintan") / "run"
    killed = read_pid(run / "bgpd.pid")
    assert killed is not None and is_alive(killed)
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while (pid := read_pid(run / "bgpd.pid")) in (None, killed) or not is_alive(pid or 0):
        assert time.monotonic() < deadline, "bgpd was not restarted within 30 s"
        time.sleep(0.5)

    def vtysh(*commands: str) -> str:
        return lab_exec("dist-bukitintan", "vtysh", *(a for c in commands for a in ("-c", c))).stdout

    try:
        vtysh("configure terminal", "router bgp 65099")
        assert "router bgp 65099" in vtysh("show running-config bgpd")
    finally:
        vtysh("configure terminal", "no router bgp 65099")
    assert re.search(r"bgpd +Up", vtysh("show watchfrr"))


def test_up_twice_is_harmless(lab: dict[str, Any]) -> None:
    before = lab_json("lab", "status", "--json")
    report = lab_json("lab", "up", "--json")
    assert report["already_up"] is True
    assert lab_json("lab", "status", "--json")["devices"] == before["devices"]
