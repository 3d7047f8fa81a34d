"""The fault ticket as typed frozen values: what failed, whom it cuts off, and its step history.

A fault ticket's label is ``GGN-NNNNN`` (the numbering compliance's faults already use). Its
history is checked when the value is built, so a stored record that breaks the SOP's moves
(:data:`~sipelangi_net.faults.sop.MOVES`) does not read back.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from sipelangi_net.faults.sop import LAST, FaultRole, Severity, StepKey, move_problem
from sipelangi_net.inventory import Name
from sipelangi_net.tickets.models import LongText, RequiredText, TicketId, in_utc_range

FaultKind = Literal["link_down", "degraded", "unreachable", "config_drift", "reported"]
"""``link_down`` a link or interface down; ``degraded`` below the plan (throughput, errors);
``unreachable`` a device that does not answer; ``config_drift`` compliance's drift;
``reported`` a person's report not yet placed (``jaringan lambat``)."""
FaultSource = Literal["monitor", "compliance", "pemohon"]
RecordKind = Literal["diagnosis", "retest", "observation"]
"""``diagnosis``: ``fault diagnose`` (where the path breaks); ``retest``: ``fault retest`` (the
step-8 bandwidth test against the plan); ``observation``: what the monitor saw (flaps, folded
targets, the last sighting)."""
Stamp = Annotated[AwareDatetime, AfterValidator(in_utc_range)]
LABEL = re.compile(r"^GGN-([0-9]{5,})$")
MAX_OPDS = 500


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def fault_label(number: int) -> str:
    return f"GGN-{number:05d}"


def label_number(label: str) -> int:
    """The number of a ``GGN-NNNNN`` label (``ValueError`` naming it when it is not one)."""
    match = LABEL.fullmatch(label)
    if not match:
        raise ValueError(f"{label!r} is not a fault label (GGN- and five digits, e.g. GGN-00042)")
    return int(match.group(1))


class LinkRef(_Frozen):
    """A backbone link of ``links.yaml`` by its two ends (device names, in order)."""

    a: Name
    b: Name

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.a >= self.b:
            raise ValueError("a link's ends are two different devices, a before b in name order")
        return self


class FaultActor(_Frozen):
    role: FaultRole
    name: RequiredText
    """The account's username, or the monitor's host name."""


class FaultEvent(_Frozen):
    """One step of the fault recorded: which, when, by whom, and what came out."""

    step: StepKey
    at: Stamp
    actor: FaultActor
    note: LongText = ""


class FaultRecord(_Frozen):
    """A result kept on a fault beside its steps (append-only): a diagnosis, a re-test, an observation."""

    kind: RecordKind
    at: Stamp
    actor: FaultActor
    summary: RequiredText
    outputs: dict[str, Any] = Field(default_factory=dict)


class FaultTicket(_Frozen):
    id: Annotated[int, Field(ge=1)]
    kind: FaultKind
    source: FaultSource
    severity: Severity
    device: Name
    """The device the fault is on (for a link: the end the monitor saw it from)."""
    link: LinkRef | None = None
    opds: Annotated[tuple[Name, ...], Field(max_length=MAX_OPDS)] = ()
    """The OPD sites (``sites.yaml`` keys) cut off or degraded by it."""
    tickets: tuple[TicketId, ...] = ()
    """The installation tickets of those OPDs (``SPL-YYYY-NNNNN``)."""
    summary: RequiredText
    opened_at: Stamp
    """When the fault began: the monitor's first sighting, the compliance run, the pemohon's report."""
    history: Annotated[tuple[FaultEvent, ...], Field(min_length=1)]
    records: Annotated[tuple[FaultRecord, ...], Field(max_length=1000)] = ()
    """Diagnoses, re-tests and observations kept on the fault, oldest first."""

    @model_validator(mode="after")
    def _history_follows_the_sop(self) -> Self:
        last: StepKey | None = None
        when = self.opened_at
        for i, event in enumerate(self.history):
            if event.at < when:
                raise ValueError(f"history.{i}.at: {event.at.isoformat()} is before {when.isoformat()}")
            problem = move_problem(last, event.step, event.actor.role)
            if problem:
                raise ValueError(f"history.{i}: {problem}")
            last, when = event.step, event.at
        if len(set(self.opds)) != len(self.opds) or len(set(self.tickets)) != len(self.tickets):
            raise ValueError("opds and tickets name each one once")
        return self

    @property
    def label(self) -> str:
        return fault_label(self.id)

    @property
    def step(self) -> StepKey:
        """The last step recorded."""
        return self.history[-1].step

    @property
    def closed(self) -> bool:
        return self.step == LAST

    @property
    def closed_at(self) -> dt.datetime | None:
        return self.history[-1].at if self.closed else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.label, **self.model_dump(mode="json", exclude={"id"})}
        out["step"] = self.step
        return out
