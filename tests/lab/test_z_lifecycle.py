"""Lab life cycle: stale detection, repair, down after a crash, failure mid-up.

Runs last among the lab tests (it rebuilds and removes the lab).
"""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.lab.runtime import LAB_USER, LabPaths, is_alive, our_netns, pids_in_namespaces, read_pid
from sipelangi_net.paths import lab_dir
from tests.lab.conftest import CLI, ROOT, cli, lab_json

PATHS = LabPaths(lab_dir())


def lab_pids() -> list[int]:
    files = [Path("/run/netns") / n for n in our_netns()]
    if PATHS.ns.is_dir():
        files += list(PATHS.ns.iterdir())
    return pids_in_namespaces(files)


def assert_clean(pids: list[int]) -> None:
    assert our_netns() == []
    assert not PATHS.root.exists()
    assert not PATHS.root.parent.exists()
    assert [p for p in pids if is_alive(p)] == []
    with pytest.raises(KeyError):
        pwd.getpwnam(LAB_USER)
    proc = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert "spl-" not in proc.stdout
    mounts = Path("/proc/self/mountinfo").read_text()
    assert "sipelangi-net" not in mounts and "/spl-" not in mounts


def test_status_tells_a_stale_lab_and_up_repairs_it(lab: dict[str, Any]) -> None:
    pid = read_pid(PATHS.node("sw-dinkes") / "ssh" / "sshd.pid")
    assert pid is not None and is_alive(pid)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc = cli("lab", "status", check=False)
    assert proc.returncode == 4
    assert "sw-dinkes" in proc.stdout and "stale" in proc.stdout

    report = lab_json("lab", "up", "--json")
    assert report["already_up"] is False
    assert lab_json("lab", "status", "--json")["state"] == "up"


def test_up_keeps_a_changed_lab_and_up_fresh_rebuilds_it_at_day0(lab: dict[str, Any]) -> None:
    """What a second `./dev.sh demo` needs: its fresh ticket store must meet a day-0 lab."""
    day0 = cli("lab", "exec", "sw-dinkes", "--", "ovs-vsctl", "get", "port", "eth2", "tag").stdout
    cli("lab", "exec", "sw-dinkes", "--", "ovs-vsctl", "set", "port", "eth2", "tag=4000")
    again = cli("lab", "up")
    assert "already up and healthy" in again.stderr and "--fresh" in again.stderr
    assert cli("lab", "exec", "sw-dinkes", "--", "ovs-vsctl", "get", "port", "eth2", "tag").stdout == "4000\n"

    report = lab_json("lab", "up", "--fresh", "--json")
    assert report["already_up"] is False
    assert cli("lab", "exec", "sw-dinkes", "--", "ovs-vsctl", "get", "port", "eth2", "tag").stdout == day0
    assert day0 != "4000\n"
    assert lab_json("lab", "status", "--json")["state"] == "up"


def test_down_removes_everything(lab: dict[str, Any]) -> None:
    pids = lab_pids()
    assert len(pids) >= 30  # zebra, staticd, ovsdb-server, ovs-vswitchd, sshd, servers...
    down = lab_json("lab", "down", "--json")
    assert down["survivors"] == []
    assert_clean(pids)
    proc = cli("lab", "status", check=False)
    assert proc.returncode == 3 and "down" in proc.stdout
    assert cli("lab", "down", check=False).returncode == 0, "down twice is harmless"


def test_down_after_up_was_killed_midway() -> None:
    up = subprocess.Popen([CLI, "lab", "up"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while len(our_netns()) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # let it start some daemons
    finally:
        up.send_signal(signal.SIGKILL)
        up.wait()
    assert our_netns(), "the killed up should have left namespaces behind"
    pids = lab_pids()
    status = cli("lab", "status", check=False)
    assert status.returncode == 4
    cli("lab", "down")
    assert_clean(pids)


def test_failure_midway_through_up_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step fails after namespaces, links and daemons exist: up tears all of it down."""
    from sipelangi_net.errors import LabError
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.lab import up as up_mod

    seen: list[int] = []

    def broken_ssh(self: Any) -> None:
        seen.extend(lab_pids())
        raise LabError("injected failure in the ssh step")

    monkeypatch.setattr(up_mod._Build, "ssh", broken_ssh)
    with pytest.raises(LabError, match="injected"):
        up_mod.lab_up(load_inventory(ROOT / "inventory"), PATHS)
    assert len(seen) >= 20, "daemons were running when the step failed"
    assert_clean(seen)


def test_busy_management_address_is_refused_before_building() -> None:
    """Something else already listens on one device's management address: nothing is built."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.2.1.6", 2022))
    blocker.listen(1)
    try:
        proc = cli("lab", "up", check=False)
    finally:
        blocker.close()
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.count("error:") == 1 and "Traceback" not in proc.stderr
    assert "sw-kec-bukitintan: management address 127.2.1.6:2022 is already in use" in proc.stderr
    assert_clean([])
