"""The append-only hash chain of a ticket's events (pure).

The chain starts from a genesis hash over the ticket id, its creation time and
the request; each event's hash covers the previous hash and every recorded
field. Editing any earlier event, the request, or the order breaks it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sipelangi_net.tickets.models import Event, Request, Ticket


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def genesis(ticket_id: str, created_at: dt.datetime, request: Request) -> str:
    body = {"ticket": ticket_id, "created_at": _ts(created_at), "request": request.model_dump(mode="json")}
    return hashlib.sha256(_canonical(body)).hexdigest()


def event_hash(
    *,
    prev_hash: str,
    ticket_id: str,
    seq: int,
    step: int,
    outcome: str,
    actor: str,
    role: str,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    note: str,
    outputs: dict[str, Any],
    account: dict[str, Any] | None = None,
) -> str:
    """The event's hash; ``account`` enters the hashed body only when present, so an event
    recorded without an account hashes exactly as it did before accounts existed."""
    body = {
        "prev": prev_hash,
        "ticket": ticket_id,
        "seq": seq,
        "step": step,
        "outcome": outcome,
        "actor": actor,
        "role": role,
        "started_at": _ts(started_at),
        "ended_at": _ts(ended_at),
        "note": note,
        "outputs": outputs,
    }
    if account is not None:
        body["account"] = account
    return hashlib.sha256(_canonical(body)).hexdigest()


def rehash(event: Event) -> str:
    return event_hash(
        prev_hash=event.prev_hash,
        ticket_id=event.ticket_id,
        seq=event.seq,
        step=event.step,
        outcome=event.outcome,
        actor=event.actor,
        role=event.role,
        started_at=event.started_at,
        ended_at=event.ended_at,
        note=event.note,
        outputs=event.outputs,
        account=None if event.account is None else event.account.model_dump(mode="json"),
    )


def verify(ticket: Ticket) -> list[str]:
    """Every problem with the ticket's chain; an empty list means it verifies."""
    problems = []
    prev = genesis(ticket.id, ticket.created_at, ticket.request)
    for i, event in enumerate(ticket.events, start=1):
        where = f"{ticket.id} event {i} (step {event.step})"
        if event.seq != i:
            problems.append(f"{where}: sequence number {event.seq}, expected {i}")
        if event.prev_hash != prev:
            problems.append(f"{where}: does not follow the event before it (chain broken)")
        if rehash(event) != event.hash:
            problems.append(f"{where}: content was changed after it was recorded")
        prev = event.hash
    return problems
