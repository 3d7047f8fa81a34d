"""Fault tickets (SOP "Penanganan Gangguan Jaringan Intra Pemerintah") from compliance findings.

One fault per device and finding, not one per run: a finding is a drifted feature
(``drift:interfaces``), ``unreachable`` or ``error``. A run opens a fault for a new finding,
counts another sighting of one already open, and closes the device's open faults whose
finding is gone. A device that could not be checked (unreachable, error) closes nothing but
its own reachability faults: whether its config drifted is unknown. Devices outside the run
(``--host``/``--site`` filters) are left alone.

The faults are the fault tickets of the ticket store (:class:`~sipelangi_net.faults.store.SqliteFaults`,
docs/faults.md): source ``compliance``, key ``compliance:<device>:<finding>``, severity ``minor``,
kind ``config_drift`` (a drift) or ``unreachable``; opened (``reported``) and, once the finding is
gone, ``verified`` and ``closed`` by the Monitor named ``compliance`` through the fault workflow.
:class:`Fault` is how compliance shows one: the fault ticket with its sightings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance
from sipelangi_net.errors import MalformedTicketError
from sipelangi_net.faults.models import FaultActor, FaultKind, FaultSource, FaultTicket
from sipelangi_net.faults.records import FaultDraft, FaultStatus
from sipelangi_net.faults.schema import COMPLIANCE_ACTOR
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.faults.store import Sighting, SqliteFaults
from sipelangi_net.tickets.outputs import skip
from sipelangi_net.validate import printable

UNCHECKED = ("unreachable", "error")
ACTOR = FaultActor(role=FaultRole.MONITOR, name=COMPLIANCE_ACTOR)
"""Who records compliance's fault steps."""


def _stamp(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault ticket as compliance shows it: the ticket and how often its finding was seen."""

    ticket: FaultTicket
    sighting: Sighting

    @property
    def id(self) -> int:
        return self.ticket.id

    @property
    def label(self) -> str:
        return self.ticket.label

    @property
    def device(self) -> str:
        return self.ticket.device

    @property
    def finding(self) -> str:
        return self.sighting.finding

    @property
    def status(self) -> FaultStatus:
        return "closed" if self.ticket.closed else "open"

    @property
    def summary(self) -> str:
        return self.ticket.summary

    @property
    def opened_at(self) -> str:
        return _stamp(self.ticket.opened_at) or ""

    @property
    def last_seen_at(self) -> str:
        try:
            return _stamp(dt.datetime.fromisoformat(self.sighting.last_seen_at)) or ""
        except ValueError:  # a stored value is shown as found, never fatal to the list
            return printable(self.sighting.last_seen_at)[:40]

    @property
    def seen(self) -> int:
        return self.sighting.seen

    @property
    def closed_at(self) -> str | None:
        return _stamp(self.ticket.closed_at)

    @property
    def detail(self) -> Mapping[str, Any]:
        return self.sighting.detail

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.label,
            "device": self.device,
            "finding": self.finding,
            "status": self.status,
            "step": self.ticket.step,
            "kind": self.ticket.kind,
            "severity": self.ticket.severity,
            "summary": self.summary,
            "opened_at": self.opened_at,
            "last_seen_at": self.last_seen_at,
            "seen": self.seen,
            "closed_at": self.closed_at,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True, slots=True)
class FaultChanges:
    opened: tuple[Fault, ...] = ()
    still_open: tuple[Fault, ...] = ()
    closed: tuple[Fault, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "opened": [f.to_json() for f in self.opened],
            "still_open": [f.to_json() for f in self.still_open],
            "closed": [f.to_json() for f in self.closed],
        }


def findings(device: DeviceCompliance) -> dict[str, tuple[str, dict[str, Any]]]:
    """finding → (summary, detail) of one device's result (pure)."""
    if device.status in UNCHECKED:
        return {device.status: (printable(f"{device.device}: {device.status}: {device.error}")[:200], {})}
    out = {}
    for f in device.drifted:
        summary = f"{device.device}: {f.name} drifted ({len(f.missing)} missing, {len(f.extra)} extra lines)"
        out[f"drift:{f.name}"] = (printable(summary)[:200], f.to_json())
    return out


def fault_key(device: str, finding: str) -> str:
    return f"compliance:{device}:{finding}"


def draft(device: str, finding: str, summary: str, *, at: dt.datetime) -> FaultDraft:
    """The fault a compliance finding opens (pure)."""
    kind: FaultKind = "unreachable" if finding in UNCHECKED else "config_drift"
    return FaultDraft(
        key=fault_key(device, finding),
        kind=kind,
        source="compliance",
        severity="minor",
        device=device,
        summary=summary,
        opened_at=at,
    )


def _view(faults: SqliteFaults, ticket: FaultTicket) -> Fault:
    return Fault(ticket, faults.sighting(ticket.id))


def close_fault(faults: SqliteFaults, ticket: FaultTicket, *, at: dt.datetime, note: str) -> FaultTicket:
    """Verify (unless it is) and close ``ticket`` as compliance."""
    if ticket.step != "verified":
        ticket = faults.move(ticket.id, "verified", actor=ACTOR, at=at, note=note)
    return faults.move(ticket.id, "closed", actor=ACTOR, at=at, note=note)


def _sync_device(
    faults: SqliteFaults, device: DeviceCompliance, open_now: Mapping[str, Fault], now: dt.datetime
) -> tuple[list[Fault], list[Fault], list[Fault]]:
    current = findings(device)
    opened, seen, closed = [], [], []
    for finding, (summary, detail) in current.items():
        if finding in open_now:
            ticket = faults.seen_again(open_now[finding].id, at=now, summary=summary, detail=detail)
            seen.append(_view(faults, ticket))
        else:
            new = draft(device.device, finding, summary, at=now)
            ticket, _ = faults.open(new, actor=ACTOR, at=now, finding=finding, detail=detail)
            opened.append(_view(faults, ticket))
    checked = device.status not in UNCHECKED
    for finding, fault in open_now.items():
        if finding not in current and (checked or finding in UNCHECKED):
            note = f"compliance: {finding} no longer found on {device.device}"
            closed.append(_view(faults, close_fault(faults, fault.ticket, at=now, note=note)))
    return opened, seen, closed


def sync_faults(faults: SqliteFaults, report: ComplianceReport, *, now: dt.datetime) -> FaultChanges:
    """Open, count and close the fault tickets of the devices in ``report`` (each write one transaction)."""
    by_device: dict[str, dict[str, Fault]] = {}
    for f in list_faults(faults, status="open", source="compliance"):
        by_device.setdefault(f.device, {})[f.finding] = f
    buckets: tuple[list[Fault], list[Fault], list[Fault]] = ([], [], [])
    for device in report.devices:
        for bucket, more in zip(
            buckets, _sync_device(faults, device, by_device.get(device.device, {}), now), strict=True
        ):
            bucket.extend(more)
    return FaultChanges(opened=tuple(buckets[0]), still_open=tuple(buckets[1]), closed=tuple(buckets[2]))


def list_faults(
    faults: SqliteFaults, *, status: FaultStatus | None = None, source: FaultSource | None = None
) -> list[Fault]:
    """The fault tickets (``status``: open or closed; ``source``: one source's) with their sightings;
    one whose stored record is unreadable is left out (logged, and in ``faults.skipped``)."""
    out: list[Fault] = []
    for ticket in faults.list(status=status, source=source):
        try:
            out.append(_view(faults, ticket))
        except MalformedTicketError as exc:
            faults.skipped.append(skip(ticket.label, str(exc), doing="the fault list"))
    return out
