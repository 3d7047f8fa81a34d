"""The SOP as a state machine (pure): which move is allowed now, and the event it records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sipelangi_net.errors import WorkflowError
from sipelangi_net.tickets import policy
from sipelangi_net.tickets.chain import event_hash, genesis
from sipelangi_net.tickets.models import AccountStamp, Event, Move, Request, Ticket
from sipelangi_net.tickets.outputs import check_outputs
from sipelangi_net.tickets.policy import Actor
from sipelangi_net.tickets.sop import BRANCH_BY_OUTCOME, END_STATUSES, STEP_BY_NUMBER, Branch, Role, describe

FUTURE_SKEW = dt.timedelta(minutes=5)
OUTCOMES = {3: ("approve", "defer")}
DEFAULT_OUTCOMES = ("done", "failed")


@dataclass(frozen=True, slots=True)
class Transition:
    event: Event
    status: str


def status_after(step: int, outcome: str) -> str:
    s = STEP_BY_NUMBER[step]
    branch = BRANCH_BY_OUTCOME.get((step, outcome))
    if branch is not None:
        return branch.status
    if outcome == "defer":
        return "deferred"
    if outcome == "failed":
        return f"{s.key}_failed"
    return s.status


def derived_status(events: tuple[Event, ...]) -> str:
    """The status a ticket's events give it: the status after its last event ("" without events)."""
    return status_after(events[-1].step, events[-1].outcome) if events else ""


def _done(events: tuple[Event, ...], step: int) -> Event | None:
    """The latest event of ``step`` if it completed the step (done or approved).

    A branch outcome (the Kepala Bidang's acknowledgement of step 10) neither completes nor undoes it.
    """
    for event in reversed(events):
        if event.step == step and (step, event.outcome) not in BRANCH_BY_OUTCOME:
            return event if event.outcome in ("done", "approve") else None
    return None


def completed(ticket: Ticket, step: int) -> Event | None:
    """The event that completed ``step`` when the step's latest outcome is done (or approved)."""
    return _done(ticket.events, step)


def _check_end(ticket: Ticket) -> None:
    if ticket.status == "notified":
        raise WorkflowError(
            f"ticket {ticket.id} is closed and its requester notified: nothing more to record"
        )
    if ticket.status in END_STATUSES:
        raise WorkflowError(f"ticket {ticket.id} was {ticket.status}: nothing more to record")


def _check_branch(ticket: Ticket, move: Move, branch: Branch) -> None:
    if ticket.status not in branch.after:
        raise WorkflowError(
            f"ticket {ticket.id}: cannot {branch.title} (step {branch.step}, outcome {branch.outcome})"
            f" while the ticket is {ticket.status}; only when it is {' or '.join(branch.after)}"
        )


def _check_opening_steps(ticket: Ticket, move: Move) -> None:
    """Steps 1 and 2 are recorded when the ticket is opened; step 2 again after a (re)submission."""
    if move.step == 2 and ticket.status in ("submitted", "resubmitted"):
        return
    if move.step == 1:
        raise WorkflowError(
            f"ticket {ticket.id}: {describe(1)} is recorded when the ticket is opened; a deferred"
            " request is revised and resubmitted with outcome resubmit"
        )
    raise WorkflowError(
        f"ticket {ticket.id}: {describe(move.step)} is recorded when the ticket is opened, or after"
        f" the request is resubmitted (the ticket is {ticket.status})"
    )


def _check_order(ticket: Ticket, move: Move) -> None:
    events = ticket.events
    last = events[-1]
    _check_end(ticket)
    branch = BRANCH_BY_OUTCOME.get((move.step, move.outcome))
    if branch is not None:
        _check_branch(ticket, move, branch)
        return
    if move.step <= 2:
        _check_opening_steps(ticket, move)
        return
    if ticket.status in ("submitted", "resubmitted"):
        raise WorkflowError(
            f"ticket {ticket.id}: cannot do {describe(move.step)}: {describe(2)} is not done yet"
            f" (status {ticket.status})"
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
    allowed = (
        *OUTCOMES.get(move.step, DEFAULT_OUTCOMES),
        *(b.outcome for b in BRANCH_BY_OUTCOME.values() if b.step == move.step),
    )
    if move.outcome not in allowed:
        raise WorkflowError(
            f"ticket {ticket.id}: {describe(move.step)} takes outcome"
            f" {' or '.join(allowed)}, not {move.outcome}"
        )
    branch = BRANCH_BY_OUTCOME.get((move.step, move.outcome))
    if branch is not None and branch.note and not move.note:
        raise WorkflowError(
            f"ticket {ticket.id}: {branch.title} (step {branch.step}): a note with {branch.note} is required"
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
    account: AccountStamp | None = None,
) -> Event:
    branch = BRANCH_BY_OUTCOME.get((step, outcome))
    role = (branch.role if branch else STEP_BY_NUMBER[step].role).value
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
    stamp = None if account is None else account.model_dump(mode="json")
    return Event(
        **fields,
        account=account,
        prev_hash=prev_hash,
        hash=event_hash(prev_hash=prev_hash, **fields, account=stamp),
    )


def _check(ticket: Ticket, move: Move, *, now: dt.datetime, account: Actor | None) -> AccountStamp | None:
    if not ticket.events:
        raise WorkflowError(f"ticket {ticket.id} has no events; it was not opened properly")
    stamp = None if account is None else policy.check_actor(ticket, move, account, now=now)
    _check_order(ticket, move)
    _check_outcome(ticket, move)
    if policy.decides(account):
        policy.check_acknowledged(ticket, move)
    _times(ticket, move, now)
    return stamp


def may_do(ticket: Ticket, move: Move, *, now: dt.datetime, account: Actor | None = None) -> None:
    """Check ``move``'s step, outcome and times against the SOP, not its outputs (WorkflowError).

    What a command asks before it touches a device or measures: the outputs it will record
    do not exist yet; :func:`plan` checks them when the step is recorded. With an ``account``,
    the policy (:mod:`sipelangi_net.tickets.policy`) decides first whether it may do the step
    (Forbidden); without one, or with single-engineer mode's local account
    (:func:`~sipelangi_net.tickets.policy.single_engineer`), anyone may.
    """
    _check(ticket, move, now=now, account=account)


def plan(ticket: Ticket, move: Move, *, now: dt.datetime, account: Actor | None = None) -> Transition:
    """Check ``move`` against the SOP and return the event to append.

    Raises Forbidden (``account`` may not do it), WorkflowError (order, outcome, times) or
    OutputsError (the outputs do not fit the step's schema in :mod:`sipelangi_net.tickets.outputs`);
    the event stores the checked outputs, and with an ``account`` its stamp and its display name
    as the actor (single-engineer mode's local account: its stamp, and ``move.actor`` as given).
    """
    stamp = _check(ticket, move, now=now, account=account)
    decided = policy.decides(account)
    if decided:
        policy.check_cosigned(ticket, move)
    started, ended = _times(ticket, move, now)
    outputs = check_outputs(ticket.id, move.step, move.outcome, move.outputs)
    last = ticket.events[-1]
    event = _seal(
        ticket.id,
        last.seq + 1,
        last.hash,
        move.step,
        outcome=move.outcome,
        actor=stamp.display_name if decided and stamp is not None else move.actor,
        started=started,
        ended=ended,
        note=move.note,
        outputs=outputs,
        account=stamp,
    )
    return Transition(event, status_after(move.step, move.outcome))


def opening(
    ticket_id: str, request: Request, *, helpdesk: str, now: dt.datetime, account: Actor | None = None
) -> tuple[dt.datetime, tuple[Event, ...]]:
    """The events that open a ticket: the request (step 1) and the helpdesk forwarding it (step 2).

    With an ``account``: a pemohon of the request's OPD records step 1 only (the ticket is
    ``submitted`` until the helpdesk forwards it, step 2); the helpdesk entering a paper letter
    records both, step 1 on the pemohon's behalf. Anyone else is refused (Forbidden).
    Single-engineer mode's local account records both, with the names given (the pemohon's
    PIC for step 1, ``helpdesk`` for step 2), each stamped with the local account.
    """
    submitted = request.submitted_at or now
    if submitted.tzinfo is None:
        raise WorkflowError("request.submitted_at must carry a time zone (e.g. +07:00 for WIB)")
    if submitted > now + FUTURE_SKEW:
        raise WorkflowError("request.submitted_at is in the future")
    stamp = None if account is None else policy.check_opening(ticket_id, request, account, now=now)
    decided = policy.decides(account)
    prev = genesis(ticket_id, now, request)
    first = _seal(
        ticket_id,
        1,
        prev,
        1,
        outcome="done",
        actor=stamp.display_name if decided and stamp is not None else request.pic.name,
        started=submitted,
        ended=now,
        outputs=check_outputs(ticket_id, 1, "done", {"letter": request.letter.model_dump(mode="json")}),
        account=stamp,
    )
    if decided and account is not None and str(account.role) != policy.HELPDESK:
        return now, (first,)
    second = _seal(
        ticket_id,
        2,
        first.hash,
        2,
        outcome="done",
        actor=account.display_name if decided and account is not None else helpdesk,
        started=now,
        ended=now,
        outputs=check_outputs(ticket_id, 2, "done", {"forwarded_to": Role.KEPALA_DINAS.value}),
        account=None if account is None else policy.stamp(account),
    )
    return now, (first, second)
