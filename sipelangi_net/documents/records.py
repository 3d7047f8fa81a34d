"""What the documents read from a ticket (pure): plan, deploy report, bandwidth test, signed handover.

Each reader raises :class:`~sipelangi_net.errors.IncompleteTicketError` naming the missing item and
the command that records it, so no document is ever written with blanks.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.analysis.stored import plan_of
from sipelangi_net.bandwidth.models import BwResult
from sipelangi_net.errors import IncompleteTicketError, WorkflowError
from sipelangi_net.tickets.models import Event, Ticket
from sipelangi_net.validate import safe_text

SignerRole = Literal["tim_kerja", "pemohon"]
Name = Annotated[str, StringConstraints(min_length=3, max_length=100), AfterValidator(safe_text)]
Nip = Annotated[str, StringConstraints(pattern=r"^\d{18}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Signer(_Frozen):
    """One person who signs the berita acara."""

    role: SignerRole
    name: Name
    nip: Nip


class Handover(_Frozen):
    """What ``ticket sign`` records on step 9 as ``outputs["handover"]``."""

    number: Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(safe_text)]
    signers: tuple[Signer, ...]
    scan_sha256: Sha256
    scan: str


class DeployedDevice(BaseModel):
    """One device of step 7's deploy report (``sipelangi_net.deploy.DeviceResult`` as JSON)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    device: str
    platform: str
    backup_sha256: str = ""
    backup_path: str = ""
    commands: tuple[str, ...] = ()
    state: str = "unchanged"
    verified: bool | None = None
    error: str = ""


def _last(ticket: Ticket, step: int) -> Event | None:
    for event in reversed(ticket.events):
        if event.step == step:
            return event
    return None


def require_plan(ticket: Ticket) -> Plan:
    try:
        plan = plan_of(ticket)
    except WorkflowError as exc:
        raise IncompleteTicketError(str(exc)) from None
    if plan is None:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: no plan (step 4, needs analysis, is not done);"
            f" run 'sipelangi-net analyze {ticket.id}' first"
        )
    return plan


def require_deploy(ticket: Ticket) -> tuple[Event, tuple[DeployedDevice, ...]]:
    event = _last(ticket, 7)
    if event is None or event.outcome != "done":
        raise IncompleteTicketError(
            f"ticket {ticket.id}: no successful installation (step 7); run 'sipelangi-net deploy {ticket.id}'"
        )
    raw = event.outputs.get("deploy")
    if not isinstance(raw, dict) or not isinstance(raw.get("devices"), list):
        raise IncompleteTicketError(
            f"ticket {ticket.id}: step 7 holds no deploy report (outputs.deploy.devices)"
        )
    try:
        devices = tuple(DeployedDevice.model_validate(d) for d in raw["devices"])
    except ValidationError:
        raise IncompleteTicketError(f"ticket {ticket.id}: step 7's deploy report is unreadable") from None
    if not devices:
        raise IncompleteTicketError(f"ticket {ticket.id}: step 7's deploy report lists no device")
    return event, devices


def require_bwtest(ticket: Ticket) -> tuple[Event, BwResult]:
    """The passed bandwidth test of step 8 (a failed one is no ground for a handover)."""
    event = _last(ticket, 8)
    if event is None or "bwtest" not in event.outputs:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: no bandwidth test result (step 8, outputs.bwtest);"
            " run the bandwidth test first"
        )
    try:
        result = BwResult.model_validate(event.outputs["bwtest"])
    except ValidationError:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: step 8's bandwidth test result is unreadable"
        ) from None
    if event.outcome != "done" or not result.passed:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: the bandwidth test (step 8) did not pass ({result.reason});"
            " repeat it before the handover"
        )
    if result.iperf is None and result.speedtest is None:
        raise IncompleteTicketError(f"ticket {ticket.id}: step 8's bandwidth test holds no figures")
    return event, result


def handover_of(ticket: Ticket) -> tuple[Event, Handover] | None:
    """The signed handover of step 9, if recorded."""
    event = _last(ticket, 9)
    if event is None or event.outcome != "done" or "handover" not in event.outputs:
        return None
    try:
        return event, Handover.model_validate(event.outputs["handover"])
    except ValidationError:
        raise IncompleteTicketError(f"ticket {ticket.id}: step 9's handover record is unreadable") from None


def require_handover(ticket: Ticket) -> tuple[Event, Handover]:
    found = handover_of(ticket)
    if found is None:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: no signed berita acara (step 9); record it with"
            f" 'sipelangi-net ticket sign {ticket.id} ...'"
        )
    return found


def signer(signers: tuple[Signer, ...], role: SignerRole, ticket_id: str) -> Signer:
    for s in signers:
        if s.role == role:
            return s
    label = "Tim Kerja" if role == "tim_kerja" else "Pemohon"
    flag = role.replace("_", "-")
    raise IncompleteTicketError(
        f"ticket {ticket_id}: no signer for the {label} (give --{flag}-name and --{flag}-nip)"
    )
