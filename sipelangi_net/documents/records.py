"""What the documents read from a ticket (pure): plan, deploy report, bandwidth test, signed handover.

Each value is read through its step's model (:mod:`sipelangi_net.tickets.outputs`); a stored
value that does not fit raises MalformedTicketError naming the ticket and the field.

Each reader raises :class:`~sipelangi_net.errors.IncompleteTicketError` naming the missing item and
the command that records it, so no document is ever written with blanks.
"""

from __future__ import annotations

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.analysis.stored import plan_of
from sipelangi_net.bandwidth.models import BwResult
from sipelangi_net.documents.handover import Handover, Signer, SignerRole
from sipelangi_net.errors import IncompleteTicketError
from sipelangi_net.tickets.models import Event, Ticket
from sipelangi_net.tickets.outputs import DeviceRecord, HandedOver, Installed, Tested, outputs_of

__all__ = [
    "DeployedDevice",
    "Handover",
    "Signer",
    "SignerRole",
    "handover_of",
    "require_bwtest",
    "require_deploy",
    "require_handover",
    "require_plan",
    "signer",
]

DeployedDevice = DeviceRecord
"""One device of step 7's deploy report (``sipelangi_net.change.push.DeviceResult`` as JSON)."""


def _last(ticket: Ticket, step: int) -> Event | None:
    for event in reversed(ticket.events):
        if event.step == step:
            return event
    return None


def require_plan(ticket: Ticket) -> Plan:
    plan = plan_of(ticket)  # MalformedTicketError (exit 6) when the stored plan does not fit
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
    report = outputs_of(ticket, event, Installed).deploy
    if report is None:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: step 7 holds no deploy report (outputs.deploy.devices)"
        )
    devices = report.devices
    if not devices:
        raise IncompleteTicketError(f"ticket {ticket.id}: step 7's deploy report lists no device")
    return event, devices


def require_bwtest(ticket: Ticket) -> tuple[Event, BwResult]:
    """The passed bandwidth test of step 8 (a failed one is no ground for a handover)."""
    event = _last(ticket, 8)
    if event is None:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: no bandwidth test result (step 8, outputs.bwtest);"
            " run the bandwidth test first"
        )
    result = outputs_of(ticket, event, Tested).bwtest
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
    if event is None or event.outcome != "done":
        return None
    handover = outputs_of(ticket, event, HandedOver).handover
    return (event, handover) if handover is not None else None


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
