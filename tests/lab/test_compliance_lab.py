"""Compliance on the lab: a fresh lab is compliant; drift injected on a device is found with the exact
lines, opens one fault per finding, and remediation makes the device compliant again; a device whose
SSH does not answer is reported unreachable while the others are checked. Every test restores the
devices it touched, even when it fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.lab.runtime import read_pid
from sipelangi_net.paths import lab_dir
from tests.lab.conftest import CLI, lab_exec

# dist-tamansari and sw-bappeda are armed and confirmed by the commit-confirm tests too; the
# devices those tests require never armed (dist-bukitintan, sw-kec-gerunggang) are never remediated here.
ROUTER, SWITCH, HUNG = "dist-tamansari", "sw-bappeda", "sw-dinkes"
DRIFT = (
    "configure terminal",
    "interface eth0",
    "no ip address 10.255.0.2/30",
    "ip address 10.255.0.22/30",  # a changed address
    "exit",
    "no ip route 0.0.0.0/0 10.255.0.1",  # a removed route
    "log record-priority",  # an extra line
)
UNDO = (
    "configure terminal",
    "interface eth0",
    "no ip address 10.255.0.22/30",
    "ip address 10.255.0.2/30",
    "exit",
    "ip route 0.0.0.0/0 10.255.0.1",
    "no log record-priority",
)


def vtysh(node: str, *commands: str) -> str:
    return lab_exec(node, "vtysh", *[a for c in commands for a in ("-c", c)]).stdout


@pytest.fixture
def env(tmp_path: Path, lab: dict[str, Any]) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
    e.update(
        SIPELANGI_DB=str(tmp_path / "tickets.db"),
        SIPELANGI_REPORTS=str(tmp_path / "reports"),
        SIPELANGI_BACKUPS=str(tmp_path / "backups"),
        SIPELANGI_AUDIT_KEY=str(tmp_path / "audit.key"),
    )
    return e


def compliance(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [CLI, "compliance", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert proc.returncode in (0, 5, 8), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def commits(repo: Path) -> list[str]:
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--oneline"], capture_output=True, text=True, check=True
    )
    return log.stdout.splitlines()


def devices(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["device"]: d for d in doc["devices"]}


def features(doc: dict[str, Any], device: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in devices(doc)[device]["features"]}


@pytest.fixture
def drifted(lab: dict[str, Any]) -> Iterator[None]:
    vtysh(ROUTER, *DRIFT)
    lab_exec(SWITCH, "ovs-vsctl", "set", "port", "eth2", "tag=55")
    try:
        yield
    finally:
        running = vtysh(ROUTER, "show running-config")
        if "10.255.0.22/30" in running or "log record-priority" in running:
            vtysh(ROUTER, *UNDO)
        lab_exec(SWITCH, "ovs-vsctl", "set", "port", "eth2", "tag=999")


def test_a_fresh_lab_is_compliant_backed_up_and_reported(env: dict[str, str], tmp_path: Path) -> None:
    code, doc = compliance(env)
    assert code == 0, [d for d in doc["devices"] if d["status"] != "compliant"]
    assert {d["status"] for d in doc["devices"]} == {"compliant"}
    assert len(doc["devices"]) == 10
    report = Path(doc["files"]["json"])
    assert report == tmp_path / "reports" / "compliance" / report.parent.name / "compliance.json"
    assert json.loads(report.read_text())["devices"][0].keys() >= {"device", "site", "platform", "status"}
    assert Path(doc["files"]["html"]).read_text().count('<tr class="compliant">') == 10
    backups = tmp_path / "backups"
    assert (backups / f"{ROUTER}.cfg").read_text().startswith("Building configuration")
    assert len(commits(backups)) == 1
    compliance(env)  # nothing changed: no new backup commit
    assert len(commits(backups)) == 1


def test_drift_is_found_with_its_lines_and_remediation_fixes_it(env: dict[str, str], drifted: None) -> None:
    code, doc = compliance(env, "--host", ROUTER, "--host", SWITCH)
    assert code == 8
    f = features(doc, ROUTER)
    assert f["interfaces"]["missing"] == ["interface eth0", " ip address 10.255.0.2/30"]
    assert f["interfaces"]["extra"] == ["interface eth0", " ip address 10.255.0.22/30"]
    assert f["static_routes"]["missing"] == ["ip route 0.0.0.0/0 10.255.0.1"]
    assert f["static_routes"]["extra"] == []
    assert f["logging"]["extra"] == ["log record-priority"] and f["logging"]["missing"] == []
    assert f["hostname"]["compliant"] and f["services"]["compliant"]
    assert features(doc, SWITCH)["vlans"]["extra"] == ["port eth2 tag=55"]
    opened = {(x["device"], x["finding"]) for x in doc["faults"]["opened"]}
    assert opened == {
        (ROUTER, "drift:interfaces"),
        (ROUTER, "drift:static_routes"),
        (ROUTER, "drift:logging"),
        (SWITCH, "drift:vlans"),
    }

    code, doc = compliance(env, "--host", ROUTER, "--host", SWITCH)
    assert code == 8 and doc["faults"]["opened"] == [] and len(doc["faults"]["still_open"]) == 4

    code, doc = compliance(env, "--host", ROUTER, "--host", SWITCH, "--remediate", "--yes")
    assert code == 0, doc["remediation"]
    assert {d["device"]: d["state"] for d in doc["remediation"]["devices"]} == {
        ROUTER: "confirmed",
        SWITCH: "confirmed",
    }
    assert {d["status"] for d in doc["devices"]} == {"compliant"}
    assert len(doc["faults"]["closed"]) == 4
    running = vtysh(ROUTER, "show running-config")
    assert " ip address 10.255.0.2/30" in running and "ip route 0.0.0.0/0 10.255.0.1" in running
    assert "log record-priority" not in running


def test_a_device_whose_ssh_is_down_is_unreachable_and_the_run_goes_on(env: dict[str, str]) -> None:
    pid = read_pid(lab_dir() / "nodes" / HUNG / "ssh" / "sshd.pid")
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # sshd frozen: the TCP port accepts, nothing answers
    try:
        code, doc = compliance(env, "--host", HUNG, "--host", ROUTER)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert code == 5
    got = devices(doc)
    assert got[HUNG]["status"] == "unreachable" and "timeout" in got[HUNG]["error"]
    assert got[ROUTER]["status"] == "compliant"
    assert [(x["device"], x["finding"]) for x in doc["faults"]["opened"]] == [(HUNG, "unreachable")]
    code, doc = compliance(env, "--host", HUNG)
    assert code == 0 and [x["finding"] for x in doc["faults"]["closed"]] == ["unreachable"]
