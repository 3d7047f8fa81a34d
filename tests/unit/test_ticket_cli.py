"""`sipelangi-net ticket ...` end to end through the real console script and a real SQLite file."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_notify import Mailbox, free_port, smtp, start_smtp  # noqa: F401 - fixtures
from ticket_data import cli_env, raw_request, valid

from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env()
    e.update(SIPELANGI_DB=str(tmp_path / "tickets.db"), SIPELANGI_ACTOR="tester", HOME=str(tmp_path))
    return e


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def ok(env: dict[str, str], *args: str) -> Any:
    proc = run(env, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def new_ticket(env: dict[str, str], tmp_path: Path, **changes: Any) -> str:
    path = tmp_path / "permohonan.yaml"
    path.write_text(yaml.safe_dump(raw_request(**changes), allow_unicode=True))
    ticket = ok(env, "ticket", "new", "--file", str(path))
    return str(ticket["id"])


def test_new_from_file_and_from_flags(env: dict[str, str], tmp_path: Path) -> None:
    first = new_ticket(env, tmp_path)
    second = ok(
        env,
        "ticket",
        "new",
        "--opd",
        "Bappeda",
        "--site",
        "bappeda",
        "--pic-name",
        "Sari",
        "--pic-phone",
        "0717 421234",
        "--pic-email",
        "sari@bappeda.pangkalpinangkota.go.id",
        "--users",
        "25",
        "--app",
        "simpeg",
        "--app",
        "sipd",
        "--letter-number",
        "050/7/BAPPEDA/2026",
        "--letter-date",
        "2026-11-21",
    )
    assert first.startswith("SPL-") and second["id"] != first
    assert second["request"]["applications"] == ["simpeg", "sipd"]
    listed = ok(env, "ticket", "list")
    assert [t["id"] for t in listed] == [first, second["id"]]


def test_show_json_has_status_and_timed_events(env: dict[str, str], tmp_path: Path) -> None:
    tid = new_ticket(env, tmp_path)
    shown = ok(env, "ticket", "show", tid)
    assert shown["status"] == "forwarded"
    first = shown["events"][0]
    for key in (
        "step",
        "actor",
        "role",
        "started_at",
        "ended_at",
        "duration_s",
        "standard_s",
        "outputs",
        "breach",
    ):
        assert key in first
    assert (first["step"], first["role"], first["standard_s"]) == (1, "Pemohon", 300)
    assert shown["events"][1]["actor"] == "tester"


def test_defer_then_approve_then_the_steps_to_close(env: dict[str, str], tmp_path: Path) -> None:
    tid = new_ticket(env, tmp_path)
    deferred = ok(env, "ticket", "defer", tid, "--note", "Menunggu ketersediaan anggaran", "--actor", "Kadis")
    assert deferred["status"] == "deferred"
    refused = run(env, "ticket", "record", tid, "--step", "4", "--outcome", "failed", "--note", "belum")
    assert refused.returncode == 6
    assert refused.stderr.strip() == (
        f"error: ticket {tid}: cannot do step 4 (needs analysis): the Kepala Dinas deferred it"
        " (step 3 (approve or defer) must approve it first)"
    )
    assert ok(env, "ticket", "approve", tid, "--actor", "Kadis")["status"] == "approved"
    not_tested = run(env, "ticket", "close", tid)
    assert not_tested.returncode == 6 and "step 4 (needs analysis) is not done yet" in not_tested.stderr
    failed = ok(env, "ticket", "record", tid, "--step", "4", "--outcome", "failed", "--note", "port penuh")
    assert failed["status"] == "analysis_failed"
    store = SqliteStore(Path(env["SIPELANGI_DB"]))
    try:  # steps 4-10 as their commands record them (a plan, a deploy report, a test, a scan, a report)
        for n in range(4, 11):
            store.apply(tid, valid(Move(step=n, actor="Andi"), tid))
    finally:
        store.close()
    closed = ok(env, "ticket", "close", tid)
    assert closed["status"] == "closed"
    assert [e["step"] for e in closed["events"]] == [1, 2, 3, 3, 4, *range(4, 12)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--step", "4"],
            r"step 4 \(needs analysis\) done cannot be recorded by hand .*'sipelangi-net analyze'",
        ),
        (
            ["--step", "6", "--output", "start=besok"],
            r"--output start: not recorded by hand \(allowed: schedule",
        ),
        (
            ["--step", "8"],
            r"step 8 \(bandwidth test\) cannot be recorded by hand: use 'sipelangi-net bwtest'",
        ),
        (["--step", "8", "--outcome", "failed", "--note", "x"], r"step 8 .* cannot be recorded by hand"),
        (["--step", "9"], r"step 9 .* cannot be recorded by hand: use 'sipelangi-net ticket sign"),
        (["--step", "7", "--output", "deploy=ok"], r"step 7 .* done cannot be recorded by hand"),
        (["--step", "12"], r"step 12 .* cannot be recorded by hand"),
        (["--step", "2"], r"steps 1 and 2 are recorded by 'ticket new'"),
    ],
)
def test_record_by_hand_refuses_what_only_a_command_can_record(
    env: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    tid = new_ticket(env, tmp_path)
    ok(env, "ticket", "approve", tid)
    proc = run(env, "ticket", "record", tid, *args)
    assert proc.returncode == 2, proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr
    assert [e["step"] for e in ok(env, "ticket", "show", tid)["events"]] == [1, 2, 3]


def test_record_step_6_by_hand_keeps_the_label_and_tells_the_pic(env: dict[str, str], tmp_path: Path) -> None:
    tid = new_ticket(env, tmp_path)
    ok(env, "ticket", "approve", tid)
    store = SqliteStore(Path(env["SIPELANGI_DB"]))
    try:
        for n in (4, 5):
            store.apply(tid, valid(Move(step=n, actor="Andi"), tid))
    finally:
        store.close()
    bad = run(env, "ticket", "record", tid, "--step", "6", "--output", "schedule=Senin\x1b[2J")
    assert bad.returncode == 2 and "--output" in bad.stderr and "forbidden character" in bad.stderr, (
        bad.stderr
    )
    shown = ok(
        env, "ticket", "record", tid, "--step", "6", "--output", "schedule=Senin, 30 November 2026 09.00 WIB"
    )
    assert shown["events"][-1]["outputs"] == {"schedule": "Senin, 30 November 2026 09.00 WIB"}


def test_verify_detects_an_edited_event(env: dict[str, str], tmp_path: Path) -> None:
    tid = new_ticket(env, tmp_path)
    ok(env, "ticket", "approve", tid)
    assert ok(env, "ticket", "verify", tid)["ok"] is True
    conn = sqlite3.connect(tmp_path / "tickets.db")
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.execute("UPDATE events SET actor = 'Pemalsu' WHERE ticket_id = ? AND seq = 2", (tid,))
    conn.commit()
    conn.close()
    proc = run(env, "ticket", "verify", tid)
    assert proc.returncode == 6
    assert f"{tid} event 2 (step 2): content was changed after it was recorded" in proc.stderr


def test_sla_summary(env: dict[str, str], tmp_path: Path) -> None:
    for _ in range(3):
        ok(env, "ticket", "approve", new_ticket(env, tmp_path))
    rows = {r["step"]: r for r in ok(env, "ticket", "sla")}
    assert len(rows) == 12
    assert rows[3]["count"] == 3 and rows[3]["within_standard"] == 1.0 and rows[3]["standard_s"] == 900
    assert rows[4]["count"] == 0 and rows[4]["median_s"] is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("opd: [\n", "not valid YAML"),
        (yaml.safe_dump(raw_request(users=0)), "users: Input should be greater than or equal to 1"),
        (yaml.safe_dump(raw_request(opd="Dinkes\nhostname evil")), "opd: Value error, contains a forbidden"),
        (yaml.safe_dump(raw_request(site="atlantis")), "site: unknown site 'atlantis'"),
    ],
)
def test_bad_request_file_stores_nothing(
    env: dict[str, str], tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "permohonan.yaml"
    path.write_text(content)
    proc = run(env, "ticket", "new", "--file", str(path))
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}") and expected in lines[0]
    assert "Traceback" not in proc.stderr
    assert ok(env, "ticket", "list") == []


def test_unknown_ticket_and_bad_options(env: dict[str, str]) -> None:
    proc = run(env, "ticket", "show", "SPL-2026-00042")
    assert proc.returncode == 6 and "SPL-2026-00042: not found" in proc.stderr
    proc = run(env, "ticket", "list", "--since", "yesterday")
    assert proc.returncode == 2 and "--since" in proc.stderr and "Traceback" not in proc.stderr


def test_schedule_mail_is_sent_by_the_cli_and_a_dead_server_never_blocks_the_update(
    env: dict[str, str],
    tmp_path: Path,
    smtp: Mailbox,  # noqa: F811 - the fixture imported above
) -> None:
    tid = new_ticket(env, tmp_path)
    ok(env, "ticket", "approve", tid)
    store = SqliteStore(Path(env["SIPELANGI_DB"]))
    try:  # steps 4 and 5 as `analyze` and `prepare` record them (a plan, a proposed slot)
        for n in (4, 5):
            store.apply(tid, valid(Move(step=n, actor="Andi"), tid))
    finally:
        store.close()
    dead = dict(env, SIPELANGI_SMTP_HOST="127.0.0.1", SIPELANGI_SMTP_PORT=str(free_port()))
    proc = run(
        dead,
        "ticket",
        "record",
        tid,
        "--step",
        "6",
        "--output",
        "schedule=2 Desember 2026 09.00 WIB",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "scheduled"
    assert "notification not delivered (will retry)" in proc.stderr
    assert smtp.messages == []
    live = dict(env, SIPELANGI_SMTP_HOST="127.0.0.1", SIPELANGI_SMTP_PORT=str(smtp.port))
    conn = sqlite3.connect(tmp_path / "tickets.db")  # skip the 30 s backoff instead of sleeping through it
    conn.execute("UPDATE notifications SET next_attempt_at = '2000-01-01T00:00:00+00:00'")
    conn.commit()
    conn.close()
    report = ok(live, "ticket", "notify")
    # still queued: step 2's message to the Kepala Dinas, undeliverable (no officials file configured)
    assert (report["sent"], report["failed"], report["still_queued"]) == (1, 0, 1)
    (mail,) = smtp.messages
    assert mail["To"] == "budi@dinkes.pangkalpinangkota.go.id" and tid in mail["Subject"]
    assert "2 Desember 2026 09.00 WIB" in mail.get_content()
