"""SOP step 7 on the lab: read-only dry run, commit-confirmed deploy, verified rollback on every fault."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sipelangi_net.change.push import deploy
from sipelangi_net.change.render import render_plan
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.lab import open_driver
from sipelangi_net.errors import DeviceError
from sipelangi_net.lab.runtime import read_pid
from sipelangi_net.paths import lab_dir
from tests.lab.conftest import ROOT, lab_exec, ok_json, run
from tests.lab.deploy_helpers import (
    DEVICES,
    EARLY,
    INVENTORY,
    day0,
    lab_scopes,
    running,
    scheduled_ticket,
    the_plan,
    wait_disarmed,
)

__all__ = ["day0"]  # the fixture, imported for the tests below


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

    report = ok_json(env, "deploy", tid, "--confirm-timeout", "20", "--no-bandwidth-gate", *EARLY)
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
    # The central DHCP server takes the scope of that subnet (set first, so it is taken off again).
    assert plan.addressing is not None
    a = ipaddress.IPv4Address
    bad = plan.addressing.model_copy(
        update={
            "subnet": ipaddress.IPv4Network("224.0.0.0/25"),
            "gateway": ipaddress.IPv4Interface("224.0.0.1/25"),
            "reserved_first": a("224.0.0.2"), "reserved_last": a("224.0.0.11"),
            "dhcp_first": a("224.0.0.12"), "dhcp_last": a("224.0.0.126"),
        }
    )  # fmt: skip
    plan = plan.model_copy(update={"addressing": bad})
    before = lab_scopes(creds)
    report = deploy(
        plan, INVENTORY, creds, driver_factory=open_driver, backups=tmp_path / "b", confirm_seconds=60
    )
    assert not report.ok and report.error.startswith("the change was rejected")
    assert "dist-gerunggang: rejected the change" in report.error and "224.0.0.1" in report.error
    assert "NOT VERIFIED" not in report.error
    states = {d.device: (d.state, d.verified) for d in report.devices}
    assert states == {name: ("rolled_back", True) for name in DEVICES}
    assert report.dhcp is not None and (report.dhcp.state, report.dhcp.verified) == ("rolled_back", True)
    assert lab_scopes(creds) == before
    wait_disarmed(creds)
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
from sipelangi_net.change.push import deploy
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
    proc = run(env, "deploy", tid, *EARLY)
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
    assert not report.ok and "NOT ROLLED BACK by this run: sw-dinkes" in report.error, report.error
    assert "its own revert timer restores its backup by" in report.error
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


def test_a_full_backups_disk_is_an_ordinary_error_and_nothing_is_pushed(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str]
) -> None:
    """The ticket's backups folder on a tiny tmpfs filled to the last page: ENOSPC for real."""
    tid = scheduled_ticket(env, tmp_path)
    backups = tmp_path / "reports" / tid / "backups"
    backups.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k,mode=0700", "tmpfs", str(backups)], check=True)
    try:
        try:
            with (backups / "filler").open("wb") as fh:
                fh.write(b"x" * 1024 * 1024)
        except OSError:
            pass  # full now
        proc = run(env, "deploy", tid, "--confirm-timeout", "20", "--no-bandwidth-gate", *EARLY)
    finally:
        subprocess.run(["umount", str(backups)], check=False)
    assert proc.returncode == 74, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"error: {backups}: cannot write ") and "(ENOSPC)" in line, line
    assert line.endswith("nothing was pushed to any device (no backup, no change)")
    event = ok_json(env, "ticket", "show", tid)["events"][-1]
    assert (event["step"], event["outcome"]) == (7, "failed") and str(backups) in event["note"]
    assert running(creds) == day0
