"""The SOP as a state machine (pure): which move is allowed now, and the event it records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sipelangi_net.errors import WorkflowError
from sipelangi_net.tickets.chain import event_hash, genesis
from sipelangi_net.tickets.models import Event, Move, Request, Ticket
from sipelangi_net.tickets.outputs import check_outputs
from sipelangi_net.tickets.sop import STEP_BY_NUMBER, Role, describe

FUTURE_SKEW = dt.timedelta(minutes=5)
OUTCOMES = {3: ("approve", "defer")}
DEFAULT_OUTCOMES = ("done", "failed")


@dataclass(frozen=True, slots=True)
class Transition:
    event: Event
    status: str


def status_after(step: int, outcome: str) -> str:
    s = STEP_BY_NUMBER[step]
    if outcome == "defer":
        return "deferred"
    if outcome == "failed":
        return f"{s.key}_failed"
    return s.status


def derived_status(events: tuple[Event, ...]) -> str:
    """The status a ticket's events give it: the status after its last event ("" without events)."""
    return status_after(events[-1].step, events[-1].outcome) if events else ""


def _done(events: tuple[Event, ...], step: int) -> Event | None:
    """The latest event of ``step`` if it completed the step (done or approved)."""
    for event in reversed(events):
        if event.step == step:
            return event if event.outcome in ("done", "approve") else None
    return None


def completed(ticket: Ticket, step: int) -> Event | None:
    """The event that completed ``step`` when the step's latest outcome is done (or approved)."""
    return _done(ticket.events, step)


def _check_order(ticket: Ticket, move: Move) -> None:
    events = ticket.events
    last = events[-1]
    if ticket.status == "notified":
        raise WorkflowError(
            f"ticket {ticket.id} is closed and its requester notified: nothing more to record"
        )
    if move.step <= 2:
        raise WorkflowError(
            f"ticket {ticket.id}: {describe(move.step)} is recorded when the ticket is opened"
        )
    if move.step < last.step:
        raise WorkflowError(
            f"ticket {ticket.id}: cannot go back to {describe(move.step)};"
            f" the ticket is at {describe(last.step)}"
        )
    if move.step > last.step + 1:
        missing = last.step + 1
        raise WorkflowError(
            f"ticket {ticket.id}: cannot do {describe(move.step)}: {describe(missing)} is not done yet"
            f" (status {ticket.status})"
        )
    previous = move.step - 1
    if move.step > last.step and _done(events, previous) is None:
        if previous == 3:
            why = "the Kepala Dinas deferred it" if last.outcome == "defer" else "it is not approved"
            raise WorkflowError(
                f"ticket {ticket.id}: cannot do {describe(move.step)}: {why}"
                f" ({describe(3)} must approve it first)"
            )
        raise WorkflowError(
            f"ticket {ticket.id}: cannot do {describe(move.step)}: {describe(previous)} did not succeed"
            f" (its last outcome: {last.outcome})"
        )
    if move.step == last.step and move.step == 3 and last.outcome == "approve":
        raise WorkflowError(f"ticket {ticket.id}: already approved")


def _check_outcome(ticket: Ticket, move: Move) -> None:
    allowed = OUTCOMES.get(move.step, DEFAULT_OUTCOMES)
    if move.outcome not in allowed:
        raise WorkflowError(
            f"ticket {ticket.id}: {describe(move.step)} takes outcome"
            f" {' or '.join(allowed)}, not {move.outcome}"
        )
    if move.outcome in ("defer", "failed") and not move.note:
        what = "the Kepala Dinas's consideration" if move.outcome == "defer" else "why it failed"
        raise WorkflowError(
            f"ticket {ticket.id}: {describe(move.step)} {move.outcome}: a note with {what} is required"
        )


def _times(ticket: Ticket, move: Move, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The step's times: zoned, not in the future (beyond FUTURE_SKEW), and not before the last event.

    A step starts no earlier than the previous event started and ends no earlier than it ended
    (steps may overlap — step 7's end is step 8's start — but the record never runs backwards).
    """
    last = ticket.events[-1]
    ended = move.ended_at or now
    started = move.started_at or last.ended_at
    where = f"ticket {ticket.id}: {describe(move.step)}"
    for label, value in (("started_at", started), ("ended_at", ended)):
        if value.tzinfo is None:
            raise WorkflowError(f"{where}: {label} must carry a time zone (e.g. +07:00 for WIB)")
        if value > now + FUTURE_SKEW:
            raise WorkflowError(f"{where}: {label} {value.isoformat()} is in the future")
    if started > ended:
        raise WorkflowError(
            f"{where}: started_at {started.isoformat()} is after ended_at {ended.isoformat()}"
        )
    if started < last.started_at:
        raise WorkflowError(
            f"{where}: started_at {started.isoformat()} is before the previous step"
            f" ({describe(last.step)}) started ({last.started_at.isoformat()})"
        )
    if ended < last.ended_at:
        raise WorkflowError(
            f"{where}: ended_at {ended.isoformat()} is before the previous step"
            f" ({describe(last.step)}) ended ({last.ended_at.isoformat()})"
        )
    return started, ended


def _seal(
    ticket_id: str,
    seq: int,
    prev_hash: str,
    step: int,
    *,
    outcome: str,
    actor: str,
    started: dt.datetime,
    ended: dt.datetime,
    note: str = "",
    outputs: dict[str, Any] | None = None,
) -> Event:
    role = STEP_BY_NUMBER[step].role.value
    fields: dict[str, Any] = {
        "ticket_id": ticket_id,
        "seq": seq,
        "step": step,
        "outcome": outcome,
        "actor": actor,
        "role": role,
        "started_at": started,
        "ended_at": ended,
        "note": note,
        "outputs": outputs or {},
    }
    return Event(**fields, prev_hash=prev_hash, hash=event_hash(prev_hash=prev_hash, **fields))


def may_do(ticket: Ticket, move: Move, *, now: dt.datetime) -> None:
    """Check ``move``'s step, outcome and times against the SOP, not its outputs (WorkflowError).

    What a command asks before it touches a device or measures: the outputs it will record
    do not exist yet; :func:`plan` checks them when the step is recorded.
    """
    if not ticket.events:
        raise WorkflowError(f"ticket {ticket.id} has no events; it was not opened properly")
    _check_order(ticket, move)
    _check_outcome(ticket, move)
    _times(ticket, move, now)


def plan(ticket: Ticket, move: Move, *, now: dt.datetime) -> Transition:
    """Check ``move`` against the SOP and return the event to append.

    Raises WorkflowError (order, outcome, times) or OutputsError (the outputs do not fit the
    step's schema in :mod:`sipelangi_net.tickets.outputs`); the event stores the checked outputs.
    """
    may_do(ticket, move, now=now)
    started, ended = _times(ticket, move, now)
    outputs = check_outputs(ticket.id, move.step, move.outcome, move.outputs)
    last = ticket.events[-1]
    event = _seal(
        ticket.id,
        last.seq + 1,
        last.hash,
        move.step,
        outcome=move.outcome,
        actor=move.actor,
        started=started,
        ended=ended,
        note=move.note,
        outputs=outputs,
    )
    return Transition(event, status_after(move.step, move.outcome))


def opening(
    ticket_id: str, request: Request, *, helpdesk: str, now: dt.datetime
) -> tuple[dt.datetime, tuple[Event, Event]]:
    """The two events that open a ticket: the request (step 1) and the helpdesk forwarding it (step 2)."""
    submitted = request.submitted_at or now
    if submitted.tzinfo is None:
        raise WorkflowError("request.submitted_at must carry a time zone (e.g. +07:00 for WIB)")
    if submitted > now + FUTURE_SKEW:
        raise WorkflowError("request.submitted_at is in the future")
    prev = genesis(ticket_id, now, request)
    first = _seal(
        ticket_id,
        1,
        prev,
        1,
        outcome="done",
        actor=request.pic.name,
        started=submitted,
        ended=now,
        outputs=check_outputs(ticket_id, 1, "done", {"letter": request.letter.model_dump(mode="json")}),
    )
    second = _seal(
        ticket_id,
        2,
        first.hash,
        2,
        outcome="done",
        actor=helpdesk,
        started=now,
        ended=now,
        outputs=check_outputs(ticket_id, 2, "done", {"forwarded_to": Role.KEPALA_DINAS.value}),
    )
    return now, (first, second)
