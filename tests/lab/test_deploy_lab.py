"""SOP step 7 on the lab: read-only dry run, commit-confirmed deploy, verified rollback on every fault."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.analysis.stored import plan_of
from sipelangi_net.credentials import Credentials
from sipelangi_net.deploy import deploy, normalise
from sipelangi_net.diff import diff_device
from sipelangi_net.drivers.lab import LabDriver, open_driver
from sipelangi_net.errors import DeviceError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.lab.runtime import read_pid
from sipelangi_net.paths import lab_dir
from sipelangi_net.platforms import Platform
from sipelangi_net.render import render_plan
from sipelangi_net.tickets.sqlite import SqliteStore
from tests.lab.conftest import REQUEST, ROOT, lab_exec, ok_json, run

DEVICES = ("core-diskominfo", "dist-gerunggang", "sw-dinkes")
INVENTORY = load_inventory(ROOT / "inventory")


def scheduled_ticket(env: dict[str, str], tmp_path: Path, **changes: Any) -> str:
    path = tmp_path / "permohonan.yaml"
    path.write_text(yaml.safe_dump({**REQUEST, **changes}))
    tid = str(ok_json(env, "ticket", "new", "--file", str(path))["id"])
    ok_json(env, "ticket", "approve", tid)
    assert ok_json(env, "analyze", tid)["available"]
    ok_json(env, "prepare", tid)
    ok_json(env, "schedule", tid)
    return tid


def the_plan(env: dict[str, str], tid: str) -> Plan:
    st = SqliteStore(Path(env["SIPELANGI_DB"]))
    try:
        plan = plan_of(st.get(tid))
    finally:
        st.close()
    assert plan is not None
    return plan


@contextlib.contextmanager
def connected(name: str, creds: Credentials) -> Iterator[LabDriver]:
    drv = open_driver(INVENTORY.devices[name], creds)
    drv.open()
    try:
        yield drv
    finally:
        drv.close()


def raw_configs(creds: Credentials) -> dict[str, str]:
    out = {}
    for name in DEVICES:
        with connected(name, creds) as drv:
            out[name] = drv.get_config()
    return out


def running(creds: Credentials) -> dict[str, str]:
    return {
        name: normalise(INVENTORY.devices[name].platform.value, cfg)
        for name, cfg in raw_configs(creds).items()
    }


@pytest.fixture
def day0(creds: Credentials) -> Iterator[dict[str, str]]:
    """The devices' configs before the test; afterwards the change is undone with the diff's rollback."""
    raw = raw_configs(creds)
    before = {name: normalise(INVENTORY.devices[name].platform.value, cfg) for name, cfg in raw.items()}
    yield before
    _wait_disarmed(creds)
    for name in DEVICES:
        with connected(name, creds) as drv:
            now = drv.get_config()
            if normalise(drv.platform, now) != before[name]:
                drv.push(_undo(name, drv.platform, now, raw[name]))
    assert running(creds) == before, "the test could not put the devices back"


def _undo(name: str, platform: str, now: str, before: str) -> tuple[str, ...]:
    """Commands that put a device back to ``before``: the diff's replace scope (FRR), the port table (OVS)."""
    if platform != "ovs":
        return diff_device(name, Platform(platform), now, before, scope="replace").commands
    commands = []
    for port, tag, ext in json.loads(before)["data"]:
        desc = dict(ext[1]).get("description")
        commands.append(
            f"ovs-vsctl set port {port} tag={tag}"
            if isinstance(tag, int)
            else f"ovs-vsctl clear port {port} tag"
        )
        commands.append(
            f"ovs-vsctl set port {port} external_ids:description={json.dumps(desc)!r}"
            if desc
            else f"ovs-vsctl remove port {port} external_ids description"
        )
    return tuple(commands)


def _wait_disarmed(creds: Credentials, timeout: float = 30) -> None:
    from sipelangi_net.drivers import confirm

    deadline = time.monotonic() + timeout
    for name in DEVICES:
        dev = INVENTORY.devices[name]
        while confirm.status(name, dev.hostname, dev.port, creds).get("armed"):
            assert time.monotonic() < deadline, f"{name} stayed armed"
            time.sleep(0.5)


def pc_reaches_apps() -> bool:
    lab_exec("pc-dinkes", "ip", "addr", "replace", "10.20.0.12/25", "dev", "eth0")
    lab_exec("pc-dinkes", "ip", "route", "replace", "default", "via", "10.20.0.1")
    try:
        fetch = "import urllib.request as u; u.urlopen('http://10.10.10.10:8001/', timeout=3).read()"
        return lab_exec("pc-dinkes", "python3", "-c", fetch, check=False).returncode == 0
    finally:
        lab_exec("pc-dinkes", "ip", "addr", "flush", "dev", "eth0", check=False)


def test_dry_run_is_read_only_and_deploy_is_confirmed_and_idempotent(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    tid = scheduled_ticket(env, tmp_path)
    dry = ok_json(env, "diff", tid)
    assert dry["changed"] is True
    assert running(creds) == day0, "a dry run changed a device"
    by_device = {d["device"]: d["commands"] for d in dry["devices"]}
    assert by_device["core-diskominfo"] == ["ip route 10.20.0.0/25 10.255.0.6"]
    assert not pc_reaches_apps()

    report = ok_json(env, "deploy", tid, "--confirm-timeout", "20")
    assert report["ok"] and {d["state"] for d in report["devices"]} == {"confirmed"}
    event = ok_json(env, "ticket", "show", tid)["events"][-1]
    assert (event["step"], event["outcome"]) == (7, "done")
    backups = {d["device"]: d["backup_sha256"] for d in event["outputs"]["deploy"]["devices"]}
    assert set(backups) == set(DEVICES) and all(len(h) == 64 for h in backups.values())
    time.sleep(22)  # past the revert timer: a confirmed change stays
    assert pc_reaches_apps(), "the OPD subnet must reach the application server after the deploy"

    again = ok_json(env, "deploy", tid)
    assert again["changed"] is False and again["ok"] is True
    assert all(d["commands"] == [] for d in again["devices"])


def test_a_rejected_line_rolls_back_every_device(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    plan = the_plan(env, scheduled_ticket(env, tmp_path))
    # FRR refuses a multicast interface address ("% Invalid address"); the diff cannot know that.
    assert plan.addressing is not None
    bad = plan.addressing.model_copy(update={"gateway": ipaddress.IPv4Interface("224.0.0.1/25")})
    plan = plan.model_copy(update={"addressing": bad})
    report = deploy(
        plan, INVENTORY, creds, driver_factory=open_driver, backups=tmp_path / "b", confirm_seconds=60
    )
    assert not report.ok and report.error.startswith("the change was rejected")
    assert "dist-gerunggang: rejected the change" in report.error and "224.0.0.1" in report.error
    assert "NOT VERIFIED" not in report.error
    states = {d.device: (d.state, d.verified) for d in report.devices}
    assert states == {name: ("rolled_back", True) for name in DEVICES}
    _wait_disarmed(creds)
    assert running(creds) == day0


def test_failed_post_check_rolls_back(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    plan = the_plan(env, scheduled_ticket(env, tmp_path))

    def unreachable() -> None:
        raise DeviceError("pc-dinkes", "10.10.10.10:8001 does not answer from the OPD subnet")

    report = deploy(
        plan,
        INVENTORY,
        creds,
        driver_factory=open_driver,
        backups=tmp_path / "b",
        confirm_seconds=60,
        post_check=unreachable,
    )
    assert not report.ok and report.error.startswith("post-check failed")
    assert all(d.verified for d in report.devices if d.state == "rolled_back")
    assert running(creds) == day0


KILLER = """
import json, os, sys
from pathlib import Path
from sipelangi_net.analysis.plan import Plan
from sipelangi_net.credentials import load_credentials
from sipelangi_net.deploy import deploy
from sipelangi_net.drivers.lab import LabDriver, open_driver
from sipelangi_net.inventory import load_inventory
plan = Plan.model_validate_json(Path(sys.argv[1]).read_text())
def die() -> None:
    print("PUSHED", flush=True)
    os.kill(os.getpid(), 9)
deploy(plan, load_inventory(sys.argv[2]), load_credentials(), driver_factory=open_driver,
       backups=Path(sys.argv[3]), confirm_seconds=10, post_check=die)
"""


def test_devices_restore_themselves_when_the_tool_is_killed_after_the_push(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    plan = the_plan(env, scheduled_ticket(env, tmp_path))
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(plan_file), str(ROOT / "inventory"), str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL and "PUSHED" in proc.stdout, proc.stderr
    killed_at = time.monotonic()
    assert running(creds) != day0, "the change should be on the devices right after the push"
    while running(creds) != day0:
        assert time.monotonic() - killed_at < 25, "the devices did not restore themselves within the timeout"
        time.sleep(1)


def test_hostile_text_is_refused_before_any_device_and_recorded(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    tid = scheduled_ticket(env, tmp_path, opd="Dinas Kesehatan? show running-config")
    proc = run(env, "deploy", tid)
    assert proc.returncode == 2 and "cannot be sent to a device CLI" in proc.stderr
    assert "Traceback" not in proc.stderr
    event = ok_json(env, "ticket", "show", tid)["events"][-1]
    assert (event["step"], event["outcome"]) == (7, "failed") and "device CLI" in event["note"]
    assert running(creds) == day0


def test_a_device_that_does_not_answer_stops_the_deploy_before_any_change(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    plan = the_plan(env, scheduled_ticket(env, tmp_path))
    pid = read_pid(lab_dir() / "nodes" / "sw-dinkes" / "ssh" / "sshd.pid")
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # the lab's own sshd of sw-dinkes: frozen, like a hung device
    try:
        report = deploy(plan, INVENTORY, creds, driver_factory=open_driver, backups=tmp_path / "b")
    finally:
        os.kill(pid, signal.SIGCONT)
    assert (
        not report.ok and report.error.startswith("cannot reach every device") and "sw-dinkes" in report.error
    )
    assert all(d.state != "confirmed" for d in report.devices)
    assert running(creds) == day0


def test_render_lists_the_intended_configs(env: dict[str, str], tmp_path: Path) -> None:
    tid = scheduled_ticket(env, tmp_path)
    written = ok_json(env, "render", tid)
    assert set(written) == set(DEVICES)
    plan = the_plan(env, tid)
    for device, path in written.items():
        assert Path(path).read_text() == render_plan(plan, INVENTORY)[device].text


def test_a_session_that_drops_after_the_push_is_undone_by_the_device(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    """sw-dinkes stops answering after the push: the tool cannot roll it back, its own timer does."""
    plan = the_plan(env, scheduled_ticket(env, tmp_path))
    pid = read_pid(lab_dir() / "nodes" / "sw-dinkes" / "ssh" / "sshd.pid")
    assert pid is not None

    def drop() -> None:
        os.kill(pid, signal.SIGSTOP)
        raise DeviceError("sw-dinkes", "stopped answering after the push")

    try:
        report = deploy(
            plan,
            INVENTORY,
            creds,
            driver_factory=open_driver,
            backups=tmp_path / "b",
            confirm_seconds=15,
            post_check=drop,
        )
    finally:
        os.kill(pid, signal.SIGCONT)
    assert not report.ok and "ROLLBACK NOT VERIFIED on sw-dinkes" in report.error
    states = {d.device: (d.state, d.verified) for d in report.devices}
    assert states["core-diskominfo"] == ("rolled_back", True)
    assert states["dist-gerunggang"] == ("rolled_back", True)
    deadline = time.monotonic() + 30
    while running(creds) != day0:
        assert time.monotonic() < deadline, "sw-dinkes did not restore itself"
        time.sleep(1)


def test_the_lab_probe_rolls_back_when_an_application_does_not_answer(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    from sipelangi_net.analysis.plan import AccessRule
    from sipelangi_net.lab.probe import lab_probe
    from sipelangi_net.lab.runtime import LabPaths

    plan = the_plan(env, scheduled_ticket(env, tmp_path))
    probe = lab_probe(plan, INVENTORY, LabPaths(lab_dir()))
    assert probe is not None, "on the lab, deploy checks reachability from the OPD PC"
    dead = AccessRule(
        name="sipd", destination=ipaddress.IPv4Address("10.10.10.10"), protocol="tcp", port=9, qos="business"
    )
    broken = plan.model_copy(update={"access_rules": (*plan.access_rules, dead)})
    report = deploy(
        plan,
        INVENTORY,
        creds,
        driver_factory=open_driver,
        backups=tmp_path / "b",
        confirm_seconds=60,
        post_check=lab_probe(broken, INVENTORY, LabPaths(lab_dir())),
    )
    assert not report.ok and "sipd at 10.10.10.10:9 does not answer from 10.20.0.12/25" in report.error
    assert all(d.verified for d in report.devices)
    assert running(creds) == day0
