"""Every ticket reaches an end state: a deferred request is approved later, revised and resubmitted,
or withdrawn and closed (sop.BRANCHES, workflow)."""

from __future__ import annotations

import datetime as dt

import pytest
from ticket_data import request, valid

from sipelangi_net.errors import OutputsError, WorkflowError
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.chain import verify
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.sop import END_STATUSES, STATUSES

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
