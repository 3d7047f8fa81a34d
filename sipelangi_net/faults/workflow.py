"""The fault SOP as a state machine (pure): open a fault, move it, and time it against the standards.

No I/O: the store (next slice) records what :func:`move` returns. Every refusal is a
:class:`~sipelangi_net.errors.WorkflowError` naming the fault and the step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sipelangi_net.errors import WorkflowError
from sipelangi_net.faults.models import (
    FaultActor,
    FaultEvent,
    FaultKind,
    FaultSource,
    FaultTicket,
    LinkRef,
    fault_label,
)
from sipelangi_net.faults.sop import FIRST, GRADE, MOVES, Severity, StepKey, describe, move_problem
from sipelangi_net.faults.standards import FaultStandards

FUTURE_SKEW = dt.timedelta(minutes=5)
"""A step may be stamped this far past ``now`` (clocks of the monitor and the server differ)."""


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()[:5]
    )


def open_fault(
    *,
    number: int,
    kind: FaultKind,
    source: FaultSource,
    severity: Severity,
    device: str,
    summary: str,
    opened_at: dt.datetime,
    reported_at: dt.datetime,
    actor: FaultActor,
    link: LinkRef | None = None,
    opds: Sequence[str] = (),
    tickets: Sequence[str] = (),
    note: str = "",
) -> FaultTicket:
    """A new fault ``GGN-number`` whose first step, ``reported``, is recorded at ``reported_at``."""
    event = {"step": FIRST, "at": reported_at, "actor": actor, "note": note}
    fields = {"kind": kind, "source": source, "severity": severity, "device": device, "link": link}
    try:
        return FaultTicket.model_validate(
            {
                **fields,
                "id": number,
                "opds": tuple(opds),
                "tickets": tuple(tickets),
                "summary": summary,
                "opened_at": opened_at,
                "history": (event,),
            }
        )
    except ValidationError as exc:
        raise WorkflowError(f"{fault_label(number)}: cannot open: {_problems(exc)}") from None


def move(
    fault: FaultTicket,
    key: StepKey,
    *,
    at: dt.datetime,
    actor: FaultActor,
    note: str = "",
    now: dt.datetime | None = None,
    severity: Severity | None = None,
) -> FaultTicket:
    """``fault`` with step ``key`` recorded at ``at`` by ``actor``, or :class:`WorkflowError`.

    ``severity``: the helpdesk's grading at ``triaged`` (the report's was a proposal), written into
    the step's note (``Tingkat gangguan: putus (semula menurun)``), so the history keeps a change.
    """
    problem = move_problem(fault.step, key, actor.role)
    if problem:
        raise WorkflowError(f"{fault.label}: {problem}")
    if at.tzinfo is None or (now is not None and now.tzinfo is None):
        raise WorkflowError(f"{fault.label}: {describe(key)}: a time needs its time zone")
    last = fault.history[-1].at
    if at < last:
        raise WorkflowError(
            f"{fault.label}: {describe(key)} at {at.isoformat()} is before the last step ({last.isoformat()})"
        )
    if now is not None and at > now + FUTURE_SKEW:
        raise WorkflowError(f"{fault.label}: {describe(key)} at {at.isoformat()} is in the future")
    fields = dict(fault)
    if severity is not None:
        if key != "triaged":
            raise WorkflowError(f"{fault.label}: the severity is set when the fault is triaged, not at {key}")
        graded = f"Tingkat gangguan: {GRADE[severity]}"
        if severity != fault.severity:
            graded += f" (semula {GRADE[fault.severity]})"
        note = f"{graded}. {note}" if note else graded
        fields["severity"] = severity
    try:
        event = FaultEvent(step=key, at=at, actor=actor, note=note)
        return FaultTicket.model_validate({**fields, "history": (*fault.history, event)})
    except ValidationError as exc:
        raise WorkflowError(f"{fault.label}: {describe(key)}: {_problems(exc)}") from None


def next_steps(fault: FaultTicket) -> tuple[StepKey, ...]:
    """The steps that may be recorded next (none once closed); the SOP's main line first."""
    return MOVES[fault.step]


def time_to_repair(fault: FaultTicket) -> dt.timedelta | None:
    """Closed minus opened; None while the fault is open."""
    closed = fault.closed_at
    return None if closed is None else closed - fault.opened_at


@dataclass(frozen=True, slots=True)
class StepTime:
    """One step's time against its standard: a recorded step, or (``ended`` None) the one under way."""

    step: StepKey
    started: dt.datetime
    ended: dt.datetime | None
    elapsed_s: float
    standard_s: int

    @property
    def late(self) -> bool:
        return self.elapsed_s > self.standard_s

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "elapsed_s": self.elapsed_s,
            "standard_s": self.standard_s,
            "late": self.late,
        }


def _timed(
    key: StepKey, start: dt.datetime, end: dt.datetime, severity: Severity, standards: FaultStandards
) -> tuple[StepKey, dt.datetime, float, int]:
    return key, start, (end - start).total_seconds(), standards.seconds(severity, key)


def step_times(
    fault: FaultTicket, standards: FaultStandards, *, now: dt.datetime | None = None
) -> tuple[StepTime, ...]:
    """Each recorded step's elapsed time (from the step before it; ``reported`` from the fault's start)
    against the fault's severity's standard; with ``now``, an open fault's next main-line step too."""
    out: list[StepTime] = []
    start = fault.opened_at
    for event in fault.history:
        key, begun, elapsed, standard = _timed(event.step, start, event.at, fault.severity, standards)
        out.append(StepTime(key, begun, event.at, elapsed, standard))
        start = event.at
    if now is not None and not fault.closed:
        pending = MOVES[fault.step][0]
        key, begun, elapsed, standard = _timed(pending, start, max(now, start), fault.severity, standards)
        out.append(StepTime(key, begun, None, elapsed, standard))
    return tuple(out)


def late(times: Sequence[StepTime]) -> tuple[StepTime, ...]:
    """The steps over their standard (the one under way counts once it is)."""
    return tuple(t for t in times if t.late)
