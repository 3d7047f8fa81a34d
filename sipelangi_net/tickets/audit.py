"""Checking the ticket record against its anchors (pure): chain, status, MACs, head, checkpoints.

A ticket is broken when its hash chain does not verify (:func:`~sipelangi_net.tickets.chain.verify`),
when ``tickets.status`` is not what its events give it, when an event or its head carries no
valid MAC under the audit key, or when it has fewer events than its latest checkpoint (or
differs from one). A ticket is missing when a checkpoint names it, or its number lies below
the highest of its year, but the store does not hold it. The threat model is in docs/tickets.md.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.anchor import AuditKey, Checkpoint, CheckpointFile
from sipelangi_net.tickets.chain import verify as verify_chain
from sipelangi_net.tickets.models import Ticket

ADOPT_HINT = "run 'sipelangi-net ticket verify --all --adopt' where the database and the audit key are"


@dataclass(frozen=True, slots=True)
class SealedTicket:
    """A ticket as stored, with its seals: one MAC per event (None: not sealed) and the sealed head."""

    ticket: Ticket
    macs: tuple[str | None, ...]
    head_seq: int | None
    head_mac: str | None


@dataclass(frozen=True, slots=True)
class TicketAudit:
    ticket_id: str
    events: int
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"id": self.ticket_id, "ok": self.ok, "events": self.events, "problems": list(self.problems)}


@dataclass(frozen=True, slots=True)
class StoreAudit:
    """The whole store checked: every ticket, and what is wrong with the store or its checkpoints."""

    store: str
    store_id: str
    key_id: str | None
    checkpoints: str
    tickets: tuple[TicketAudit, ...]
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def broken(self) -> tuple[TicketAudit, ...]:
        return tuple(t for t in self.tickets if not t.ok)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.broken

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "store_id": self.store_id,
            "key_id": self.key_id,
            "checkpoints": self.checkpoints,
            "ok": self.ok,
            "tickets": len(self.tickets),
            "broken": [t.to_json() for t in self.broken],
            "problems": list(self.problems),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Adoption:
    """What ``ticket verify --adopt`` did: tickets whose old events it sealed, and why others were not."""

    adopted: tuple[str, ...]
    refused: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"adopted": list(self.adopted), "refused": list(self.refused)}


def check_plain(ticket: Ticket) -> list[str]:
    """What needs no key: the hash chain, and the status against the events."""
    problems = verify_chain(ticket)
    derived = workflow.derived_status(ticket.events)
    if ticket.status != derived:
        problems.append(
            f"{ticket.id}: status is {ticket.status!r} but its events give {derived!r}"
            " (the status was edited)"
        )
    return problems


def _runs(numbers: Iterable[int]) -> str:
    """1, 2, 3, 5 → '1-3, 5'."""
    out: list[str] = []
    for n in sorted(numbers):
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def _events(numbers: list[int], verb: str, plural: str) -> str:
    """'event 4 is' / 'events 1-3 are'."""
    return f"event {numbers[0]} {verb}" if len(numbers) == 1 else f"events {_runs(numbers)} {plural}"


def _unsealed(sealed: SealedTicket) -> list[str]:
    t = sealed.ticket
    unsealed = [e.seq for e, mac in zip(t.events, sealed.macs, strict=True) if mac is None]
    if unsealed:
        return [f"{t.id}: {_events(unsealed, 'is', 'are')} not sealed with the audit key; {ADOPT_HINT}"]
    return []


def _bad_macs(sealed: SealedTicket, key: AuditKey, store_id: str) -> list[str]:
    t = sealed.ticket
    problems = []
    for event, mac in zip(t.events, sealed.macs, strict=True):
        if mac is not None and not hmac.compare_digest(
            mac, key.event_mac(store_id, t.id, event.seq, event.hash)
        ):
            problems.append(
                f"{t.id} event {event.seq} (step {event.step}): its MAC does not match"
                " (changed, or the chain recomputed, without the audit key)"
            )
    return problems


def _check_head(sealed: SealedTicket, key: AuditKey, store_id: str) -> list[str]:
    t = sealed.ticket
    if sealed.head_seq is None or sealed.head_mac is None:
        if any(mac is not None for mac in sealed.macs) or not t.events:
            return [f"{t.id}: no sealed head (the ticket's head was removed)"]
        return []  # a ticket from before sealing: reported as not sealed
    count = len(t.events)
    if sealed.head_seq > count:
        return [
            f"{t.id}: truncated: its sealed head is event {sealed.head_seq} but the store holds {count}"
            " (events deleted)"
        ]
    head = t.events[sealed.head_seq - 1] if sealed.head_seq >= 1 else None
    if head is None or not hmac.compare_digest(
        sealed.head_mac, key.head_mac(store_id, t.id, head.seq, head.hash)
    ):
        return [
            f"{t.id}: the MAC of its head (event {sealed.head_seq}) does not match (edited without the key)"
        ]
    if sealed.head_seq < count:
        beyond = list(range(sealed.head_seq + 1, count + 1))
        return [f"{t.id}: {_events(beyond, 'lies', 'lie')} beyond its sealed head"]
    return []


def blocking_adoption(sealed: SealedTicket, key: AuditKey, store_id: str) -> list[str]:
    """Why a ticket's unsealed events must not be sealed now: its chain, status, seals or head fail."""
    return check_plain(sealed.ticket) + _bad_macs(sealed, key, store_id) + _check_head(sealed, key, store_id)


def check_ticket(sealed: SealedTicket, key: AuditKey | None, store_id: str) -> list[str]:
    """Every problem with one stored ticket; MACs and head only when the key is given."""
    problems = check_plain(sealed.ticket) + _unsealed(sealed)
    if key is None:
        return problems
    return problems + _bad_macs(sealed, key, store_id) + _check_head(sealed, key, store_id)


def check_checkpoints(
    tickets: Mapping[str, Ticket], cpfile: CheckpointFile, key: AuditKey | None, store_id: str
) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Tickets against this store's checkpoints → (problems per ticket id, store problems, notes)."""
    per: dict[str, list[str]] = {}
    store: list[str] = list(cpfile.unreadable)
    latest: dict[str, Checkpoint] = {}
    others: set[str] = set()
    for point in cpfile.points:
        if point.store != store_id:
            others.add(point.store)
            continue
        if key is not None and not hmac.compare_digest(
            point.mac, key.checkpoint_mac(point.store, point.ticket, point.seq, point.head, point.at)
        ):
            store.append(
                f"{cpfile.path}: the checkpoint of {point.ticket} at {point.at} has a bad MAC (forged)"
            )
            continue
        if point.ticket not in latest or point.seq >= latest[point.ticket].seq:
            latest[point.ticket] = point
        _against(tickets.get(point.ticket), point, per)
    for tid, point in latest.items():
        ticket = tickets.get(tid)
        if ticket is None:
            per.setdefault(tid, []).append(
                f"{tid}: missing from the store; checkpointed with {point.seq} events at {point.at}"
                " (deleted, or an older copy of the database restored)"
            )
        elif len(ticket.events) < point.seq:
            per.setdefault(tid, []).append(
                f"{tid}: truncated: {len(ticket.events)} events, but {point.seq} at the checkpoint"
                f" of {point.at}"
                " (events deleted, or an older copy of the database restored)"
            )
    notes = [f"{cpfile.path} also holds checkpoints of {len(others)} other store(s)"] if others else []
    return per, store, notes


def _against(ticket: Ticket | None, point: Checkpoint, per: dict[str, list[str]]) -> None:
    """One checkpoint against the stored event at its sequence number (reported once per ticket)."""
    if ticket is None or point.seq > len(ticket.events) or point.seq < 1:
        return
    if ticket.events[point.seq - 1].hash != point.head and not any(
        "differs from" in p for p in per.get(ticket.id, ())
    ):
        per.setdefault(ticket.id, []).append(
            f"{ticket.id} event {point.seq}: differs from the checkpoint of {point.at}"
            " (rewritten after it was checkpointed)"
        )


def number_gaps(ticket_ids: Iterable[str]) -> dict[str, str]:
    """Ticket ids missing below the highest number of their year → why they are missing."""
    by_year: dict[str, set[int]] = {}
    for tid in ticket_ids:
        _, year, number = tid.split("-")
        by_year.setdefault(year, set()).add(int(number))
    gaps = {}
    for year, numbers in by_year.items():
        top = max(numbers)
        for n in sorted(set(range(1, top + 1)) - numbers):
            gaps[f"SPL-{year}-{n:05d}"] = f"SPL-{year}-{top:05d} exists, so this ticket was deleted"
    return gaps


def check_store(
    *,
    store: str,
    store_id: str,
    key: AuditKey | None,
    sealed: Iterable[SealedTicket],
    cpfile: CheckpointFile,
    problems: Iterable[str] = (),
    whole: bool = True,
) -> StoreAudit:
    """Check the tickets in ``sealed`` and the checkpoints (``whole``: also tickets not in the store)."""
    sealed = list(sealed)
    tickets = {s.ticket.id: s.ticket for s in sealed}
    per, store_problems, notes = check_checkpoints(tickets, cpfile, key, store_id)
    store_problems = [*problems, *store_problems]
    results = [
        TicketAudit(
            s.ticket.id, len(s.ticket.events), (*check_ticket(s, key, store_id), *per.pop(s.ticket.id, []))
        )
        for s in sealed
    ]
    if whole:
        for tid, why in number_gaps(tickets).items():
            per.setdefault(tid, []).insert(0, f"{tid}: missing from the store: {why}")
    results += [TicketAudit(tid, 0, tuple(p)) for tid, p in sorted(per.items())]
    if (
        whole
        and key is not None
        and any(s.ticket.events for s in sealed)
        and not any(p.store == store_id for p in cpfile.points)
    ):
        store_problems.append(
            f"{cpfile.path}: holds no checkpoint of this store (store id {store_id}), so deleted events and"
            " tickets cannot be found; if the file was moved, set SIPELANGI_CHECKPOINTS;"
            f" if it was lost, {ADOPT_HINT}"
        )
    return StoreAudit(
        store=store,
        store_id=store_id,
        key_id=key.key_id if key else None,
        checkpoints=str(cpfile.path),
        tickets=tuple(sorted(results, key=lambda r: r.ticket_id)),
        problems=tuple(store_problems),
        notes=tuple(notes),
    )
