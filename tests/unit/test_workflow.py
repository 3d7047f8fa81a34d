"""The SOP state machine and the hash chain (pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from ticket_data import request, valid

from sipelangi_net.errors import WorkflowError
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.chain import verify
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.sop import STEPS, TOTAL_STANDARD_MIN

T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 08:00 WIB


def opened(at: dt.datetime = T0) -> Ticket:
    req = request(submitted_at=(at - dt.timedelta(minutes=3)).isoformat())
    created, events = workflow.opening("SPL-2026-00007", req, helpdesk="Rina", now=at)
    return Ticket(id="SPL-2026-00007", created_at=created, request=req, status="forwarded", events=events)


def step(ticket: Ticket, move: Move, minutes: float = 1) -> Ticket:
    """``move`` on ``ticket`` (with the outputs its step needs when it gives none)."""
    now = ticket.events[-1].ended_at + dt.timedelta(minutes=minutes)
    t = workflow.plan(ticket, valid(move, ticket.id), now=now)
    return ticket.model_copy(update={"events": (*ticket.events, t.event), "status": t.status})


def approved() -> Ticket:
    return step(opened(), Move(step=3, actor="Kadis", outcome="approve"))


def test_the_sop_has_12_steps_and_157_minutes() -> None:
    assert [s.number for s in STEPS] == list(range(1, 13))
    assert [s.standard_min for s in STEPS] == [5, 2, 15, 30, 15, 2, 60, 10, 5, 10, 2, 1]
    assert TOTAL_STANDARD_MIN == 157


def test_opening_records_steps_1_and_2_with_roles() -> None:
    t = opened()
    assert [(e.step, e.role, e.actor) for e in t.events] == [
        (1, "Pemohon", "Budi Santoso"),
        (2, "Helpdesk", "Rina"),
    ]
    assert t.events[0].duration_s == 180
    assert verify(t) == []


def test_full_sop_happy_path_is_hash_chained() -> None:
    t = approved()
    statuses = []
    for n in range(4, 13):
        t = step(t, Move(step=n, actor="Andi"))
        statuses.append(t.status)
    assert statuses == [
        "analysed",
        "prepared",
        "scheduled",
        "installed",
        "tested",
        "handed_over",
        "reported",
        "closed",
        "notified",
    ]
    assert [e.seq for e in t.events] == list(range(1, 13))
    assert [e.role for e in t.events][3:] == ["Tim Kerja"] * 2 + ["Helpdesk"] + ["Tim Kerja"] * 4 + [
        "Helpdesk",
        "Pemohon",
    ]
    assert verify(t) == []
    with pytest.raises(WorkflowError, match="nothing more to record"):
        step(t, Move(step=12, actor="x"))


def test_deferred_ticket_cannot_be_analysed_until_approved() -> None:
    t = step(opened(), Move(step=3, actor="Kadis", outcome="defer", note="anggaran belum tersedia"))
    assert t.status == "deferred"
    with pytest.raises(
        WorkflowError, match=r"cannot do step 4 \(needs analysis\): the Kepala Dinas deferred it"
    ):
        step(t, Move(step=4, actor="Andi"))
    t = step(t, Move(step=3, actor="Kadis", outcome="approve"), minutes=60 * 24)
    assert t.status == "approved"
    assert step(t, Move(step=4, actor="Andi")).status == "analysed"


@pytest.mark.parametrize(
    ("moves", "attempt", "message"),
    [
        ([], Move(step=4, actor="Andi"), r"step 3 \(approve or defer\) is not done yet"),
        (
            [3],
            Move(step=11, actor="Rina"),
            r"cannot do step 11 \(close ticket\): step 4 \(needs analysis\) is not done",
        ),
        ([3, 4, 5, 6, 7], Move(step=9, actor="Andi"), r"step 8 \(bandwidth test\) is not done yet"),
        ([3, 4, 5, 6, 7], Move(step=11, actor="Rina"), r"step 8 \(bandwidth test\) is not done yet"),
        ([3], Move(step=2, actor="Rina"), r"recorded when the ticket is opened"),
        ([3, 4, 5], Move(step=4, actor="Andi"), r"cannot go back to step 4"),
        ([3], Move(step=3, actor="Kadis", outcome="approve"), r"already approved"),
    ],
)
def test_illegal_moves_name_the_missing_step(moves: list[int], attempt: Move, message: str) -> None:
    t = opened()
    for n in moves:
        t = step(t, Move(step=n, actor="x", outcome="approve" if n == 3 else "done"))
    with pytest.raises(WorkflowError, match=message):
        step(t, attempt)


def test_failed_test_blocks_the_handover_until_a_retest_passes() -> None:
    t = approved()
    for n in (4, 5, 6, 7):
        t = step(t, Move(step=n, actor="Andi"))
    t = step(t, Move(step=8, actor="Andi", outcome="failed", note="23 Mbit/s, target 40"))
    assert t.status == "bandwidth_test_failed"
    with pytest.raises(WorkflowError, match=r"step 8 \(bandwidth test\) did not succeed"):
        step(t, Move(step=9, actor="Andi"))
    t = step(t, Move(step=8, actor="Andi"))
    assert step(t, Move(step=9, actor="Andi")).status == "handed_over"


@pytest.mark.parametrize(
    ("move", "message"),
    [
        (Move(step=3, actor="Kadis", outcome="done"), "takes outcome approve or defer"),
        (Move(step=3, actor="Kadis", outcome="defer"), "consideration"),
        (Move(step=4, actor="Andi", outcome="approve"), "takes outcome done or failed"),
        (Move(step=4, actor="Andi", outcome="failed"), "why it failed"),
    ],
)
def test_outcomes_and_notes(move: Move, message: str) -> None:
    t = opened() if move.step == 3 else approved()
    with pytest.raises(WorkflowError, match=message):
        step(t, move)


def test_times_against_the_standard() -> None:
    t = approved()
    t = step(t, Move(step=4, actor="Andi"), minutes=45)  # standard 30 min
    event = t.events[-1]
    assert event.duration_s == 45 * 60 and event.standard_s == 30 * 60 and event.breach
    explicit = Move(
        step=5,
        actor="Andi",
        started_at=event.ended_at + dt.timedelta(hours=1),
        ended_at=event.ended_at + dt.timedelta(hours=1, minutes=10),
    )
    t = step(t, explicit, minutes=120)
    assert t.events[-1].duration_s == 600 and not t.events[-1].breach


@pytest.mark.parametrize(
    ("started", "ended", "message"),
    [
        (None, T0 + dt.timedelta(days=1), "ended_at .* is in the future"),
        (T0 + dt.timedelta(minutes=5), T0 + dt.timedelta(minutes=4), "started_at .* is after ended_at"),
        (dt.datetime(2026, 11, 23, 9, 0), None, "time zone"),
        (T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2), "started_at .* is in the future"),
        # the previous event (step 2) started and ended at T0
        (T0 - dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=1), r"started_at .* is before the previous"),
    ],
)
def test_bad_times_are_refused(started: dt.datetime | None, ended: dt.datetime | None, message: str) -> None:
    """Times are zoned, not in the future beyond the skew, and never before the previous step's."""
    with pytest.raises(
        WorkflowError, match=rf"ticket SPL-2026-00007: step 3 \(approve or defer\): .*{message}"
    ):
        workflow.plan(
            opened(),
            Move(step=3, actor="K", outcome="approve", started_at=started, ended_at=ended),
            now=T0 + dt.timedelta(minutes=10),
        )


def test_a_step_cannot_end_before_the_previous_one_ended() -> None:
    t = step(opened(), Move(step=3, actor="Kadis", outcome="approve"), minutes=30)  # T0 .. T0+30 min
    move = Move(
        step=4, actor="Andi", started_at=T0 + dt.timedelta(minutes=5), ended_at=T0 + dt.timedelta(minutes=20)
    )
    with pytest.raises(
        WorkflowError, match=r"step 4 \(needs analysis\): ended_at .* is before the previous step"
    ):
        step(t, move)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e.model_copy(update={"actor": "Orang Lain"}),
        lambda e: e.model_copy(update={"outputs": {"forwarded_to": "Kepala Bidang"}}),
        lambda e: e.model_copy(update={"ended_at": e.ended_at + dt.timedelta(seconds=1)}),
        lambda e: e.model_copy(update={"outcome": "failed"}),
    ],
)
def test_editing_an_earlier_event_breaks_the_chain(tamper) -> None:  # type: ignore[no-untyped-def]
    t = approved()
    events = list(t.events)
    events[1] = tamper(events[1])
    problems = verify(t.model_copy(update={"events": tuple(events)}))
    assert problems and "event 2 (step 2): content was changed" in problems[0]


def test_removing_or_reordering_events_or_editing_the_request_breaks_the_chain() -> None:
    t = step(approved(), Move(step=4, actor="Andi"))
    dropped = t.model_copy(update={"events": (t.events[0], *t.events[2:])})
    assert any("chain broken" in p for p in verify(dropped))
    swapped = t.model_copy(update={"events": (t.events[1], t.events[0], *t.events[2:])})
    assert verify(swapped)
    edited = t.model_copy(update={"request": t.request.model_copy(update={"users": 400})})
    assert any("event 1" in p and "chain broken" in p for p in verify(edited))


def test_a_command_may_start_a_step_before_it_has_the_outputs_to_record() -> None:
    """may_do is what analyze, deploy, bwtest and rollback ask before touching a device: the SOP's
    order, outcome and times, not the outputs the step will record once it is done."""
    from sipelangi_net.errors import OutputsError

    t = approved()
    now = T0 + dt.timedelta(hours=1)
    workflow.may_do(t, Move(step=4, actor="Andi"), now=now)
    with pytest.raises(OutputsError, match=r"outputs\.plan"):
        workflow.plan(t, Move(step=4, actor="Andi"), now=now)
    with pytest.raises(WorkflowError, match="step 4"):
        workflow.may_do(t, Move(step=5, actor="Andi"), now=now)
