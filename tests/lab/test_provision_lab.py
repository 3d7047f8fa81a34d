"""``provision`` on the lab: the whole SOP run, killed at every step boundary, resumed, never twice.

A real SMTP server (aiosmtpd on 127.0.0.1) receives the requester's notifications.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sipelangi_net.credentials import Credentials
from sipelangi_net.locks import holding
from sipelangi_net.tickets.messages import WIB
from tests.lab.conftest import CLI, REQUEST, lab_exec, ok_json, run
from tests.lab.deploy_helpers import EARLY, day0, running
from tests.lab.mail import Mailbox, smtp_server

__all__ = ["day0"]  # the fixture, imported for the tests below
NIP_TIM = "198503152010011002"
NIP_PEMOHON = "197908212005012003"
FAST = ("--yes", "--confirm-timeout", "15", "--seconds", "1", "--no-speedtest", *EARLY)
SOP_STEPS = range(4, 13)


@pytest.fixture
def mailbox(env: dict[str, str]) -> Iterator[Mailbox]:
    with smtp_server() as (box, port):
        env.update(SIPELANGI_SMTP_HOST="127.0.0.1", SIPELANGI_SMTP_PORT=str(port))
        yield box


@pytest.fixture
def approved(env: dict[str, str], tmp_path: Path) -> str:
    path = tmp_path / "permohonan.yaml"
    path.write_text(yaml.safe_dump(REQUEST))
    tid = str(ok_json(env, "ticket", "new", "--file", str(path))["id"])
    ok_json(env, "ticket", "approve", tid)
    return tid


def handover_file(tmp_path: Path) -> Path:
    scan = tmp_path / "berita-acara-ttd.pdf"
    scan.write_bytes(b"%PDF-1.4\n% scanned, signed berita acara\n%%EOF\n")
    path = tmp_path / "handover.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "tim_kerja": {"name": "Andi Pratama, S.Kom.", "nip": NIP_TIM},
                "pemohon": {"name": "dr. Siti Rahmawati", "nip": NIP_PEMOHON},
                "scan": scan.name,
            }
        )
    )
    return path


Killed = tuple[str | None, dict[str, Any] | None]


def provision_killed_after_one_step(env: dict[str, str], killed: list[str], *args: str) -> Killed:
    """Run provision; SIGKILL it as soon as a step not killed after before is done.

    Returns that step — or, when the run ends by itself, its summary.
    """
    argv = [CLI, "provision", *args, "--json"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        got: Killed = (None, None)
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "step_finished" and event["state"] == "done" and event["step"] not in killed:
                os.kill(proc.pid, signal.SIGKILL)
                got = (event["step"], None)
                break
            if event["event"] == "summary":
                got = (None, event)
        proc.wait(timeout=120)
        assert "Traceback" not in proc.stderr.read()
    return got


def events(env: dict[str, str], tid: str) -> list[dict[str, Any]]:
    return list(ok_json(env, "ticket", "show", tid)["events"])


def test_provision_killed_at_every_step_boundary_resumes_and_pushes_once(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str], approved: str,
    mailbox: Mailbox,
) -> None:  # fmt: skip
    tid, handover = approved, handover_file(tmp_path)
    killed: list[str] = []
    summary = None
    for _ in range(15):
        step, summary = provision_killed_after_one_step(env, killed, tid, "--handover", str(handover), *FAST)
        if summary is not None:
            break
        assert step is not None
        killed.append(step)
    assert summary is not None, killed
    assert summary["state"] == "done" and summary["exit_code"] == 0, summary["steps"][-1]
    assert summary["status"] == "notified"
    names = [s["name"] for s in summary["steps"]]
    # Each kill lands at a step boundary, in order. The run goes on while the test reads the step's
    # event, so a fast next step (preparation, notify) may finish before the SIGKILL lands: most
    # boundaries are hit, not necessarily every one.
    assert killed == [n for n in names if n in killed], killed
    assert len(killed) >= len(names) // 2, killed
    assert {s["state"] for s in summary["steps"]} == {"skipped"}

    history = events(env, tid)
    for n in SOP_STEPS:
        outcomes = [e["outcome"] for e in history if e["step"] == n]
        assert outcomes == ["done"], f"SOP step {n}: {outcomes}"
    assert ok_json(env, "ticket", "verify", tid)["ok"] is True
    deployed = next(e for e in history if e["step"] == 7)["outputs"]["deploy"]
    assert deployed["changed"] and {d["state"] for d in deployed["devices"]} == {"confirmed"}
    subjects = [m["Subject"] for m in mailbox.messages]
    assert len(subjects) == 2 and all(tid in s for s in subjects), subjects

    time.sleep(17)  # past the revert timer: the confirmed change stays
    assert running(creds) != day0


def test_provision_killed_after_the_push_records_it_waits_out_the_revert_and_deploys_once(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str], approved: str,
    mailbox: Mailbox,
) -> None:  # fmt: skip
    argv = [CLI, "provision", approved, "--handover", str(handover_file(tmp_path)), *FAST, "--json"]
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "device" and event["state"].startswith("pushed"):
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert running(creds) != day0, "killed right after a push: the change is on the device, armed"
    assert 7 not in [e["step"] for e in events(env, approved)]

    t0 = time.monotonic()
    proc2 = run(env, "provision", approved, "--handover", str(handover_file(tmp_path)), *FAST, "--json")
    assert proc2.returncode == 0, proc2.stderr
    assert time.monotonic() - t0 >= 10, "the second run must wait for the devices' revert timers"
    sevens = [e for e in events(env, approved) if e["step"] == 7]
    assert [e["outcome"] for e in sevens] == ["failed", "done"], "the killed run is on the record too"
    killed = sevens[0]["outputs"]["deploy"]
    assert killed["run_id"] and "stopped before it finished" in killed["error"]
    assert {d["state"] for d in killed["devices"] if d["commands"]} == {"rolled_back"}, (
        "its timers restored it"
    )
    assert [e["step"] for e in events(env, approved)].count(8) == 1
    deployed = sevens[1]["outputs"]["deploy"]
    assert deployed["changed"], "the second run pushed the change again, after the devices reverted"
    assert deployed["run_id"] != killed["run_id"]


def test_provision_before_the_agreed_slot_waits(
    env: dict[str, str], creds: Credentials, day0: dict[str, str], approved: str
) -> None:
    fast = tuple(a for a in FAST if a not in EARLY)
    proc = run(env, "provision", approved, *fast, "--json")
    assert proc.returncode == 75, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert [(s["name"], s["state"]) for s in summary["steps"]][-2:] == [
        ("schedule", "done"),
        ("agreed slot", "paused"),
    ]
    detail = summary["steps"][-1]["detail"]
    agreed = next(e for e in events(env, approved) if e["step"] == 6)["outputs"]
    start = datetime.fromisoformat(agreed["start"]).astimezone(WIB)
    assert f"Run it again from {start.isoformat()}" in detail and f"{start:%d-%m-%Y %H.%M} WIB" in detail
    assert "nothing was pushed" in detail
    assert 7 not in [e["step"] for e in events(env, approved)]
    assert running(creds) == day0, "a run before its slot must not touch a device"

    proc = run(env, "deploy", approved)  # the same check on its own
    assert proc.returncode == 75 and "nothing was pushed" in proc.stderr, proc.stderr
    proc = run(env, "provision", approved, *fast, "--now")
    assert proc.returncode == 2 and "--now needs --reason" in proc.stderr
    assert 7 not in [e["step"] for e in events(env, approved)]
    assert running(creds) == day0


def test_dry_run_changes_nothing_on_devices_or_ticket(
    env: dict[str, str], creds: Credentials, day0: dict[str, str], approved: str
) -> None:
    before = events(env, approved)
    proc = run(env, "provision", approved, "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["state"] == "stopped" and summary["steps"][-1]["name"] == "dry-run diff"
    commands = summary["steps"][-1]["data"]["commands"]
    assert commands["core-diskominfo"] == ["ip route 10.20.0.0/25 10.255.0.6"]
    assert events(env, approved) == before
    assert running(creds) == day0


def test_a_second_run_on_the_same_ticket_or_device_refuses(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str], approved: str
) -> None:
    locks = Path(env["SIPELANGI_LOCKS"])
    with holding([("ticket", approved)], purpose="another provision", folder=locks):
        proc = run(env, "provision", approved, *FAST)
    assert proc.returncode == 6 and f"ticket {approved} is locked by pid {os.getpid()}" in proc.stderr
    assert [e["step"] for e in events(env, approved)] == [1, 2, 3]

    with holding([("device", "dist-gerunggang")], purpose="deploy SPL-2026-09999", folder=locks):
        proc = run(env, "provision", approved, *FAST)
    assert proc.returncode == 6, proc.stderr
    assert "device dist-gerunggang is locked by pid" in proc.stderr and "SPL-2026-09999" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert 7 not in [e["step"] for e in events(env, approved)]
    assert running(creds) == day0


def test_the_fleet_playbooks_run_on_the_same_runner(env: dict[str, str], tmp_path: Path) -> None:
    proc = run(env, "playbook", "run", "playbooks/compliance.yaml", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert [s["state"] for s in summary["steps"]] == ["done", "done", "done"], summary["steps"]
    assert summary["steps"][0]["data"]["counts"] == {"compliant": 10}
    report = json.loads(Path(summary["documents"]["compliance_json"]).read_text())
    assert {d["status"] for d in report["devices"]} == {"compliant"}

    locks = Path(env["SIPELANGI_LOCKS"])
    with holding([("playbook", "compliance")], purpose="the nightly run", folder=locks):
        busy = run(env, "playbook", "run", "playbooks/compliance.yaml")
    assert busy.returncode == 6 and "playbook compliance is locked by" in busy.stderr

    backup = run(env, "playbook", "run", "playbooks/backup.yaml", "--json")
    assert backup.returncode == 0, backup.stderr
    assert "10 configs kept" in json.loads(backup.stdout.splitlines()[-1])["steps"][0]["detail"]


def test_a_refused_handover_rolls_the_installation_back_exactly(
    env: dict[str, str], tmp_path: Path, creds: Credentials, day0: dict[str, str], approved: str,
    mailbox: Mailbox,
) -> None:  # fmt: skip
    signers = tmp_path / "signers.yaml"
    people = yaml.safe_load(handover_file(tmp_path).read_text())
    signers.write_text(yaml.safe_dump({k: v for k, v in people.items() if k != "scan"}))
    paused = run(env, "provision", approved, "--handover", str(signers), *FAST)
    assert paused.returncode == 75, paused.stderr
    installed = running(creds)
    assert installed != day0

    rollback = ("playbook", "run", "playbooks/rollback.yaml", "--ticket", approved, "--yes")
    proc = run(env, *rollback)
    assert proc.returncode == 1 and "needs the reason" in proc.stdout + proc.stderr

    # someone changed a device after the deploy: restoring its old backup would undo that too
    route = "ip route 10.99.0.0/24 10.255.0.5"
    lab_exec("dist-gerunggang", "vtysh", "-c", "configure terminal", "-c", route)
    try:
        proc = run(env, *rollback, "--note", "Layanan belum sesuai", "--json")
        assert proc.returncode == 1, proc.stderr
        assert "dist-gerunggang: its config changed since the change being undone" in proc.stdout
    finally:
        lab_exec("dist-gerunggang", "vtysh", "-c", "configure terminal", "-c", f"no {route}")
    assert running(creds) == installed, "a refused rollback must send nothing"

    proc = run(env, *rollback, "--note", "Layanan belum sesuai", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert running(creds) == day0, "every device runs its pre-deploy backup again"
    last = events(env, approved)[-1]
    assert (last["step"], last["outcome"]) == (9, "failed") and "Layanan belum sesuai" in last["note"]
    assert {d["state"] for d in last["outputs"]["rollback"]["devices"]} == {"confirmed"}
    assert ok_json(env, "ticket", "verify", approved)["ok"] is True
