"""The schema of every SOP step's ``outputs``: one typed, frozen model per step, in one registry.

The workflow (:func:`sipelangi_net.tickets.workflow.plan`) validates a move's outputs against
its step's model before it seals the event, so every store (SQLite, the HTTP server) stores only
outputs that fit; and every reader gets outputs back through the same model
(:func:`outputs_of`), because a value read back from SQLite, over HTTP or from a hostile server
is as untrusted as user input. A stored event that does not fit raises
:class:`~sipelangi_net.errors.MalformedTicketError` naming the ticket, the event and the field;
work over many tickets :func:`screen`\\s them first and skips (and reports) the malformed ones.

Import direction: this module imports only leaf models (:mod:`sipelangi_net.analysis.plan`,
:mod:`sipelangi_net.bandwidth.models`, :mod:`sipelangi_net.documents.handover`: pydantic and
:mod:`sipelangi_net.validate`, nothing of ``tickets``) and :mod:`sipelangi_net.tickets.models`;
none of them imports it back, so the workflow can depend on it statically — the check cannot be
forgotten by a store that did not register it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
)

from sipelangi_net.analysis.plan import EquipmentItem, Plan
from sipelangi_net.bandwidth.models import BwResult
from sipelangi_net.documents.handover import Handover
from sipelangi_net.errors import MalformedTicketError, OutputsError
from sipelangi_net.platforms import Platform
from sipelangi_net.tickets.models import Event, Letter, Ticket
from sipelangi_net.tickets.sop import describe
from sipelangi_net.validate import printable, safe_text

log = logging.getLogger(__name__)

Text = Annotated[str, StringConstraints(max_length=2000), AfterValidator(safe_text)]
Message = Annotated[str, StringConstraints(max_length=20000)]
"""Free text a device or tool produced (an error): may span lines; never sent to a device."""
DeviceName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Digest = Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{64})?$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Path = Annotated[str, StringConstraints(min_length=1, max_length=4096), AfterValidator(safe_text)]


class StepOutputs(BaseModel):
    """The outputs of one SOP step; ``rules`` adds what depends on the outcome and the ticket."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    how: ClassVar[str] = ""
    """The command that records the step with these outputs (for error messages)."""

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        """What is wrong beyond the field types (e.g. a done step 4 without a plan)."""
        return []


def _owner(ticket_id: str, field: str, owner: str | None) -> list[str]:
    if owner is not None and owner != ticket_id:
        return [f"outputs.{field}.ticket_id is {printable(owner)!r}, not this ticket"]
    return []


class Opened(StepOutputs):
    """Step 1: the request letter."""

    letter: Letter


class Forwarded(StepOutputs):
    """Step 2: forwarded to the Kepala Dinas."""

    forwarded_to: Literal["Kepala Dinas"]


class Nothing(StepOutputs):
    """Step 11 keeps no outputs."""


class Analysed(StepOutputs):
    """Step 4: the plan (kept also when the analysis found it not available)."""

    how: ClassVar[str] = "sipelangi-net analyze"
    plan: Plan | None = None

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        if self.plan is None:
            return ["a done step needs outputs.plan"] if outcome == "done" else []
        problems = _owner(ticket_id, "plan", self.plan.ticket_id)
        if outcome == "done" and not self.plan.available:
            problems.append("outputs.plan is not available, so the step cannot be done")
        return problems


class _Slot(StepOutputs):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    schedule: Text = ""

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        if (self.start is None) != (self.end is None):
            return ["outputs.start and outputs.end go together"]
        if self.start is not None and self.end is not None and self.end <= self.start:
            return ["outputs.end is not after outputs.start"]
        return []


class Prepared(_Slot):
    """Step 5: the equipment list and the proposed installation slot."""

    how: ClassVar[str] = "sipelangi-net prepare"
    equipment: tuple[EquipmentItem, ...] = ()

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        if outcome == "done" and self.start is None and self.end is None:
            return ["a done step needs outputs.start and outputs.end (the proposed installation slot)"]
        return super().rules(ticket_id, outcome)


class Agreed(_Slot):
    """Step 6: the installation slot agreed with the requester (the PIC is notified)."""

    how: ClassVar[str] = "sipelangi-net schedule"
    agreed_with: Text = ""
    jadwal: Text = ""
    """The slot's label as some SiPelangi clients send it (read like ``schedule``)."""


class DeviceRecord(StepOutputs):
    """One device of a deploy or rollback report (``sipelangi_net.change.push.DeviceResult`` as JSON)."""

    device: DeviceName
    platform: Platform
    backup_sha256: Digest = ""
    backup_path: Annotated[str, StringConstraints(max_length=4096), AfterValidator(safe_text)] = ""
    commands: tuple[Text, ...] = ()
    state: Literal["unchanged", "confirmed", "rolled_back", "failed"] = "unchanged"
    verified: bool | None = None
    error: Message = ""
    after_sha256: Digest = ""


class ScopeRecord(StepOutputs):
    """The OPD's scope on the central DHCP server (``sipelangi_net.change.dhcp_target.ScopeResult``)."""

    server: DeviceName
    subnet: Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]
    commands: tuple[Text, ...] = ()
    backup_sha256: Digest = ""
    backup_path: Annotated[str, StringConstraints(max_length=4096), AfterValidator(safe_text)] = ""
    state: Literal["unchanged", "confirmed", "rolled_back", "failed"] = "unchanged"
    verified: bool | None = None
    error: Message = ""


class DeployRecord(StepOutputs):
    """A deploy (step 7) or rollback (step 9 failed) report (``sipelangi_net.change.push.DeployReport``)."""

    ticket_id: str
    ok: bool = True
    changed: bool = False
    error: Message = ""
    devices: tuple[DeviceRecord, ...] = ()
    change_set: Digest = ""
    """The change set pushed (``sipelangi_net.change.changeset.ChangeSet.digest``)."""
    run_id: Annotated[str, StringConstraints(pattern=r"^([0-9TZ]{1,40}-[0-9]{1,10})?$")] = ""
    """The run's journal under ``reports/<ticket>/runs/`` (sipelangi_net.change.journal)."""
    dhcp: ScopeRecord | None = None
    """The OPD's scope on the central DHCP server, for a gateway that relays."""


MAX_RAW_DEPTH = 32


def _plain_json(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse raw outputs nested deeper than MAX_RAW_DEPTH (iperf3's JSON is about 6 deep) or
    holding NaN or Infinity (not JSON: the store and the API keep strict JSON only)."""
    level: list[Any] = [value]
    for _ in range(MAX_RAW_DEPTH):
        items = [c for v in level for c in (v.values() if isinstance(v, dict) else v)]
        if any(isinstance(c, float) and not math.isfinite(c) for c in items):
            raise ValueError("holds NaN or Infinity, which is not JSON")
        level = [c for c in items if isinstance(c, dict | list | tuple)]
        if not level:
            return value
    raise ValueError(f"nested deeper than {MAX_RAW_DEPTH} levels")


RawOutputs = Annotated[dict[str, Any], AfterValidator(_plain_json)]
"""The bandwidth tools' raw outputs (iperf3 JSON, speedtest text): kept, never interpreted."""


class SlotRecord(StepOutputs):
    """When a push was made against the slot agreed in step 6 (``sipelangi_net.analysis.window``).

    ``inside`` the slot; ``early`` (before its start) or ``late`` (after its end) only with the
    engineer's reason (``--now --reason``); ``unchecked`` when step 6 kept no start and end.
    """

    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    at: AwareDatetime
    position: Literal["inside", "early", "late", "unchecked"]
    reason: Text = ""

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        if (self.start is None or self.end is None) != (self.position == "unchecked"):
            return ["outputs.slot: start and end are given exactly when the position is checked"]
        if self.position in ("early", "late") and not self.reason.strip():
            return [f"outputs.slot.reason: a push {self.position} for its slot needs why (--now --reason)"]
        return []


class Installed(StepOutputs):
    """Step 7: the deploy report (and the bandwidth test when its gate failed the push)."""

    how: ClassVar[str] = "sipelangi-net deploy"
    deploy: DeployRecord | None = None
    bwtest: BwResult | None = None
    raw: RawOutputs = {}
    slot: SlotRecord | None = None
    """The push against the agreed slot: inside it, or early/late and why."""

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        if self.slot is not None and (wrong := self.slot.rules(ticket_id, outcome)):
            return wrong
        if self.deploy is None:
            return ["a done step needs outputs.deploy"] if outcome == "done" else []
        problems = _owner(ticket_id, "deploy", self.deploy.ticket_id)
        if outcome == "done" and not self.deploy.ok:
            problems.append("outputs.deploy did not succeed (ok is false), so the step cannot be done")
        return problems


class Tested(StepOutputs):
    """Step 8: the bandwidth test (passed: done; failed: failed) and the tools' raw outputs."""

    how: ClassVar[str] = "sipelangi-net bwtest"
    bwtest: BwResult
    raw: RawOutputs = {}

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        problems = _owner(ticket_id, "bwtest", self.bwtest.ticket_id)
        if outcome == "done" and not self.bwtest.passed:
            problems.append("outputs.bwtest did not pass, so the step cannot be done")
        return problems


class HandedOver(StepOutputs):
    """Step 9: the signed berita acara (done), or the rollback after a refused handover (failed)."""

    how: ClassVar[str] = "sipelangi-net ticket sign"
    handover: Handover | None = None
    rollback: DeployRecord | None = None

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        if outcome == "done" and self.handover is None:
            return ["a done step needs outputs.handover (the signed, scanned berita acara)"]
        if self.rollback is not None:
            return _owner(ticket_id, "rollback", self.rollback.ticket_id)
        return []


class WrittenFile(StepOutputs):
    path: Path
    sha256: Sha256


class AttachmentRecord(StepOutputs):
    label: Text
    path: Path
    sha256: Sha256


class ReportRecord(StepOutputs):
    kind: Text
    number: Text
    html: WrittenFile
    pdf: WrittenFile
    attachments: tuple[AttachmentRecord, ...] = ()


class DispositionRecord(StepOutputs):
    """The Lembar Disposisi written when step 3 was decided (``sipelangi_net.documents.disposisi``)."""

    kind: Literal["lembar-disposisi"]
    number: Text
    html: WrittenFile
    pdf: WrittenFile
    nip: Annotated[str, StringConstraints(pattern=r"^(\d{18})?$")] = ""
    """The NIP of who decided, when given (the name is the event's actor)."""
    kedudukan: Literal["", "Plt.", "Plh."] = ""
    """Decided as the Kepala Dinas (""), or as Plt./Plh. (acting, standing in)."""


class Decided(StepOutputs):
    """Step 3: the Kepala Dinas's decision (the note holds the consideration) and its Lembar Disposisi.

    ``disposisi`` is optional: steps 3 recorded before the sheet existed, or by ``ticket record``.
    """

    disposisi: DispositionRecord | None = None


class Reported(StepOutputs):
    """Step 10: the installation report's files and their SHA-256."""

    how: ClassVar[str] = "sipelangi-net document laporan-pemasangan"
    report: ReportRecord | None = None

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        return ["a done step needs outputs.report"] if outcome == "done" and self.report is None else []


class Notified(StepOutputs):
    """Step 12: where the closing notice went."""

    how: ClassVar[str] = "sipelangi-net ticket notify --ticket"
    channel: Literal["email", "webhook"] | None = None
    recipient: Text = ""

    def rules(self, ticket_id: str, outcome: str) -> list[str]:
        if outcome == "done" and (self.channel is None or not self.recipient):
            return ["a done step needs outputs.channel and outputs.recipient"]
        return []


STEP_OUTPUTS: Mapping[int, type[StepOutputs]] = MappingProxyType(
    {
        1: Opened,
        2: Forwarded,
        3: Decided,
        4: Analysed,
        5: Prepared,
        6: Agreed,
        7: Installed,
        8: Tested,
        9: HandedOver,
        10: Reported,
        11: Nothing,
        12: Notified,
    }
)
"""Per SOP step, the model of its ``outputs``."""

M = TypeVar("M", bound=StepOutputs)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(printable(str(p)) for p in ("outputs", *err["loc"]))
    more = exc.error_count() - 1
    return f"{where}: {err['msg']}" + (f" (and {more} more problems)" if more > 0 else "")


def _validate(ticket_id: str, step: int, outcome: str, outputs: Any) -> tuple[StepOutputs | None, str]:
    """The step's model of ``outputs``, or None and the first problem."""
    model = STEP_OUTPUTS[step]
    try:
        value = model.model_validate(outputs)
    except ValidationError as exc:
        return None, _first_error(exc)
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. a datetime out of range
        return None, f"outputs: {printable(str(exc))[:200]}"
    problems = value.rules(ticket_id, outcome)
    try:  # e.g. a NaN in a nested model that allows it (the bandwidth figures): never stored
        _plain_json(value.model_dump(mode="python", exclude={"raw"}))
    except ValueError as exc:
        problems.append(f"outputs: {exc}")
    return (None, problems[0]) if problems else (value, "")


def check_outputs(ticket_id: str, step: int, outcome: str, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs of a move, checked against the step's model; returned as the JSON to store.

    Raises :class:`~sipelangi_net.errors.OutputsError` naming the ticket, the step and the field.
    """
    value, problem = _validate(ticket_id, step, outcome, dict(outputs))
    if value is None:
        how = STEP_OUTPUTS[step].how
        hint = f"; record it with '{how} {ticket_id}'" if how else ""
        raise OutputsError(f"ticket {ticket_id}: {describe(step)} {outcome}: {problem}{hint}")
    return value.model_dump(mode="json", exclude_unset=True)


def outputs_of(ticket: Ticket, event: Event, model: type[M]) -> M:
    """The outputs of a stored ``event`` through its step's model (MalformedTicketError if not fit)."""
    expected = STEP_OUTPUTS.get(event.step)
    if expected is None or not issubclass(expected, model):
        raise MalformedTicketError(
            f"ticket {ticket.id}: event {event.seq} is {describe(event.step) if expected else event.step},"
            f" not a step with {model.__name__} outputs"
        )
    value, problem = _validate(ticket.id, event.step, event.outcome, event.outputs)
    if value is None:
        raise MalformedTicketError(
            f"ticket {ticket.id}: event {event.seq} ({describe(event.step)}, {event.outcome}) as stored"
            f" does not fit the schema: {problem}; nothing is done with this ticket until it is repaired"
        )
    if not isinstance(value, model):  # cannot happen: the registry maps the step to this model
        raise MalformedTicketError(f"ticket {ticket.id}: event {event.seq}: not {model.__name__} outputs")
    return value


def malformed(ticket: Ticket) -> str | None:
    """Why ``ticket`` as stored does not fit the schema (its first bad event), or None."""
    for event in ticket.events:
        try:
            outputs_of(ticket, event, StepOutputs)
        except MalformedTicketError as exc:
            return str(exc)
    return None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A ticket that fleet-wide work left out, and why."""

    ticket_id: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"ticket": self.ticket_id, "reason": self.reason}


def skip(ticket_id: str, reason: str, *, doing: str) -> Skipped:
    """Report a ticket left out of ``doing`` (a warning in the log) and return the record."""
    log.warning("%s: skipped by %s: %s", ticket_id, doing, reason)
    return Skipped(ticket_id, reason)


def screen(tickets: Iterable[Ticket], *, doing: str) -> tuple[list[Ticket], list[Skipped]]:
    """The tickets that fit the schema, and the skipped ones (each logged as a warning)."""
    good: list[Ticket] = []
    skipped: list[Skipped] = []
    for ticket in tickets:
        reason = malformed(ticket)
        if reason is None:
            good.append(ticket)
        else:
            skipped.append(skip(ticket.id, reason, doing=doing))
    return good, skipped


@dataclass(frozen=True, slots=True)
class ByHand:
    """What ``ticket record`` may record of a step: its outcomes and ``--output`` keys."""

    outcomes: tuple[str, ...]
    keys: tuple[str, ...] = ()
    command: str = ""
    """The command that records the step otherwise (it makes the outputs a person cannot type)."""


BY_HAND: Mapping[int, ByHand] = MappingProxyType(
    {
        3: ByHand(("approve", "defer"), command="ticket approve / ticket defer"),
        4: ByHand(("failed",), command="analyze"),
        5: ByHand(("failed",), command="prepare"),
        6: ByHand(("done", "failed"), ("schedule", "agreed_with"), command="schedule"),
        7: ByHand(("failed",), command="deploy"),
        8: ByHand((), command="bwtest"),
        9: ByHand((), command="ticket sign (signed) or provision --playbook rollback (refused)"),
        10: ByHand(("failed",), command="document laporan-pemasangan (the report) / ticket acknowledge"),
        11: ByHand(("done",), command="ticket close / ticket withdraw"),
        12: ByHand((), command="ticket notify (recorded when the closing notice is delivered)"),
    }
)
"""Per step, what a person may record by hand. A step whose outputs are made by a command (the
plan, the deploy report, the bandwidth test, the signed scan, the report's files) is recorded
done only by that command; by hand it may be recorded failed with a note, or not at all when
even a failure carries a result (step 8's test) or an action (step 9's rollback)."""


def check_by_hand(ticket_id: str, step: int, outcome: str, outputs: Mapping[str, str]) -> None:
    """Refuse (OutputsError, exit 2) what ``ticket record`` may not record; the workflow checks the rest."""
    rule = BY_HAND.get(step)
    if rule is None:
        raise OutputsError(
            f"--step {step}: steps 1 and 2 are recorded by 'ticket new'"
            " (a deferred request again by 'ticket resubmit' and 'ticket forward')"
        )
    where = f"ticket {printable(ticket_id)}: {describe(step)}"
    use = f"sipelangi-net {rule.command}"
    if not rule.outcomes:
        raise OutputsError(f"{where} cannot be recorded by hand: use '{use}'")
    if outcome not in rule.outcomes:
        raise OutputsError(
            f"{where} {outcome} cannot be recorded by hand (only {' or '.join(rule.outcomes)}):"
            f" use '{use}', which records what the step produced"
        )
    for key in outputs:
        if key not in rule.keys or outcome != "done":
            allowed = ", ".join(rule.keys) if rule.keys and outcome == "done" else "none"
            raise OutputsError(
                f"{where}: --output {printable(key)}: not recorded by hand (allowed: {allowed});"
                f" use '{use}' for what the step produces"
            )
