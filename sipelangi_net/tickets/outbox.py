"""What a recorded step puts in the outbox (pure): the SOP's message, to whom, on which channels.

The store calls :func:`queued_for` inside the transaction that records the step
(:data:`~sipelangi_net.tickets.messages.MESSAGES` says which steps send what). A message to an
official whose address is not configured is still queued, marked undeliverable with the reason
(the file and the field to set), so it shows in ``ticket notify`` and the outbox instead of
being lost or stopping the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sipelangi_net.tickets.messages import MESSAGES
from sipelangi_net.tickets.models import Event, NotificationKind, Ticket
from sipelangi_net.tickets.officials import TITLES, OfficialRole, Officials


@dataclass(frozen=True, slots=True)
class Queued:
    """One notification to insert into the outbox."""

    kind: NotificationKind
    channel: Literal["email", "webhook"]
    recipient: str
    subject: str
    body: str
    undeliverable: str = ""
    """Why it cannot be sent (no address): queued as failed with this as its last error."""


def _email(ticket: Ticket, to: str, officials: Officials) -> tuple[str, str]:
    """The e-mail address of ``to``, or "" and why there is none."""
    if to == "pemohon":
        return str(ticket.request.pic.email), ""
    role: OfficialRole = "kepala_dinas" if to == "kepala_dinas" else "kepala_bidang"
    address = officials.of(role).email
    if address:
        return str(address), ""
    return "", (
        f"no e-mail address for the {TITLES[role]}: set {role}.email in"
        f" {officials.source or 'the officials file'} (SIPELANGI_OFFICIALS); this message is not sent"
    )


def queued_for(
    ticket: Ticket, event: Event, *, officials: Officials, webhook_url: str | None
) -> list[Queued]:
    """The notifications ``event`` (just recorded on ``ticket``) calls for: none, or one per channel."""
    message = MESSAGES.get((event.step, event.outcome))
    if message is None:
        return []
    subject, body = message.text(ticket, event)
    if officials.sipelangi_url:  # one tap from the mail to the page (a remembered session opens it)
        body += f"\nBuka di SiPelangi: {officials.sipelangi_url}{message.page.format(id=ticket.id)}\n"
    address, why = _email(ticket, message.to, officials)
    out = [Queued(message.kind, "email", address, subject, body, why)]
    if webhook_url:
        out.append(Queued(message.kind, "webhook", webhook_url, subject, body))
    return out
