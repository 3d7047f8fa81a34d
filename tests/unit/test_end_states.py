"""Every ticket reaches an end state: a deferred request is approved later, revised and resubmitted,
or withdrawn and closed (sop.BRANCHES, workflow)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ticket_data import cli_env, raw_request, request, valid

from sipelangi_net.errors import OutputsError, WorkflowError
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.chain import verify
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.sop import END_STATUSES, STATUSES
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))

T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
LETTER = {"letter": {"number": "005/130/DINKES/2026", "date": "2026-11-27"}}


def opened() -> Ticket:
    req = request(submitted_at=(T0 - dt.timedelta(minutes=3)).isoformat())
    created, events = workflow.opening("SPL-2026-00007", req, helpdesk="Rina", now=T0)
    return Ticket(id="SPL-2026-00007", created_at=created, request=req, status="forwarded", events=events)


def step(ticket: Ticket, n: int, outcome: str = "done", note: str = "", **outputs: object) -> Ticket:
    now = ticket.events[-1].ended_at + dt.timedelta(minutes=1)
    m = valid(Move(step=n, actor="x", outcome=outcome, note=note, outputs=outputs), ticket.id)  # type: ignore[arg-type]
    t = workflow.plan(ticket, m, now=now)
    assert t.status == workflow.status_after(n, outcome)
    return ticket.model_copy(update={"events": (*ticket.events, t.event), "status": t.status})


def deferred() -> Ticket:
    return step(opened(), 3, "defer", "anggaran belum tersedia")


def test_a_deferred_request_is_approved_by_a_new_decision() -> None:
    t = step(step(deferred(), 3, "defer", "masih menunggu"), 3, "approve")
    assert t.status == "approved"
    assert step(t, 4).status == "analysed"


def test_a_deferred_request_is_revised_resubmitted_forwarded_and_decided_again() -> None:
    t = step(deferred(), 1, "resubmit", "jumlah pengguna dikurangi", **LETTER)
    assert (t.status, t.events[-1].role) == ("resubmitted", "Pemohon")
    with pytest.raises(WorkflowError, match=r"step 2 \(open ticket and forward\) is not done yet"):
        step(t, 3, "approve")
    t = step(t, 2, forwarded_to="Kepala Dinas")
    assert t.status == "forwarded"
    t = step(step(t, 3, "approve"), 4)
    assert [e.step for e in t.events] == [1, 2, 3, 1, 2, 3, 4]
    assert verify(t) == []


def test_a_resubmission_needs_the_revised_letter_and_what_was_revised() -> None:
    with pytest.raises(WorkflowError, match="a note with what was revised is required"):
        step(deferred(), 1, "resubmit", **LETTER)
    with pytest.raises(OutputsError, match=r"outputs\.letter"):
        step(deferred(), 1, "resubmit", "revisi")


@pytest.mark.parametrize("status", ["forwarded", "deferred", "resubmitted"])
def test_a_request_not_yet_approved_may_be_withdrawn_and_then_takes_nothing_more(status: str) -> None:
    t = {
        "forwarded": opened,
        "deferred": deferred,
        "resubmitted": lambda: step(deferred(), 1, "resubmit", "revisi", **LETTER),
    }[status]()
    assert t.status == status
    t = step(t, 11, "withdraw", "kebutuhan dialihkan ke jaringan lain")
    assert (t.status, t.events[-1].role) == ("withdrawn", "Pemohon")
    assert t.status in END_STATUSES
    for n, outcome in ((3, "approve"), (1, "resubmit"), (11, "done"), (12, "done")):
        with pytest.raises(WorkflowError, match="was withdrawn: nothing more to record"):
            step(t, n, outcome, "x", **LETTER)


def test_a_withdrawal_says_why() -> None:
    with pytest.raises(WorkflowError, match="a note with why it is withdrawn is required"):
        step(deferred(), 11, "withdraw")


@pytest.mark.parametrize(
    ("n", "outcome", "status"),
    [
        (11, "withdraw", "approved"),
        (1, "resubmit", "forwarded"),
        (1, "resubmit", "approved"),
        (10, "acknowledge", "approved"),
    ],
)
def test_branches_are_refused_from_other_statuses_naming_when_they_apply(
    n: int, outcome: str, status: str
) -> None:
    t = opened() if status == "forwarded" else step(opened(), 3, "approve")
    with pytest.raises(WorkflowError, match=f"while the ticket is {status}; only when it is"):
        step(t, n, outcome, "x", **LETTER)


def test_steps_1_and_2_take_no_other_outcome_now() -> None:
    with pytest.raises(
        WorkflowError, match="a deferred request is revised and resubmitted with outcome resubmit"
    ):
        step(deferred(), 1, "done", **LETTER)
    with pytest.raises(
        WorkflowError, match=r"step 2 \(open ticket and forward\) is recorded when the ticket is opened"
    ):
        step(deferred(), 2, forwarded_to="Kepala Dinas")
    with pytest.raises(WorkflowError, match="takes outcome approve or defer, not withdraw"):
        step(deferred(), 3, "withdraw", "x")


def test_every_status_is_named_in_the_sop() -> None:
    assert {"resubmitted", "acknowledged", "withdrawn"} <= set(STATUSES)
    assert set(END_STATUSES) <= set(STATUSES) | {"notified"}


# --- the commands ------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env()
    e.update(SIPELANGI_DB=str(tmp_path / "tickets.db"), SIPELANGI_ACTOR="tester", HOME=str(tmp_path))
    return e


def cli(env: dict[str, str], *args: str, code: int = 0) -> Any:
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == code, proc.stderr
    return json.loads(proc.stdout) if code == 0 and "--json" in args else proc.stderr


def test_the_end_states_by_command(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "permohonan.yaml"
    path.write_text(yaml.safe_dump(raw_request(), allow_unicode=True))
    tid = cli(env, "ticket", "new", "--file", str(path), "--json")["id"]
    cli(env, "ticket", "defer", tid, "--note", "anggaran belum ada", "--json")
    t = cli(
        env, "ticket", "resubmit", tid, "--letter-number", "005/9/DINKES/2026", "--letter-date", "2026-11-28",
        "--note", "lokasi dipindah", "--json",
    )  # fmt: skip
    assert (t["status"], t["events"][-1]["outputs"]["letter"]["number"]) == (
        "resubmitted",
        "005/9/DINKES/2026",
    )
    assert "step 2 (open ticket and forward) is not done yet" in cli(env, "ticket", "approve", tid, code=6)
    assert cli(env, "ticket", "forward", tid, "--json")["status"] == "forwarded"
    cli(env, "ticket", "defer", tid, "--note", "tunggu APBD-P", "--json")
    assert cli(env, "ticket", "withdraw", tid, "--note", "tidak jadi", "--json")["status"] == "withdrawn"
    assert "was withdrawn: nothing more to record" in cli(env, "ticket", "approve", tid, code=6)
    cli(env, "ticket", "verify", tid)


def test_acknowledge_by_command(env: dict[str, str], tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "tickets.db")
    try:
        t = store.create(request(), helpdesk="Rina")
        t = store.apply(t.id, Move(step=3, actor="Kadis", outcome="approve"))
        for n in range(4, 11):
            t = store.apply(t.id, valid(Move(step=n, actor="Andi"), t.id))
    finally:
        store.close()
    t = cli(env, "ticket", "acknowledge", t.id, "--json")
    assert (t["status"], t["events"][-1]["role"], t["events"][-1]["outcome"]) == (
        "acknowledged",
        "Kepala Bidang",
        "acknowledge",
    )
    assert cli(env, "ticket", "close", t["id"], "--json")["status"] == "closed"
