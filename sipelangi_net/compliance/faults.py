"""Fault tickets (SOP "Penanganan Gangguan Jaringan Intra Pemerintah") from compliance findings.

One fault per device and finding, not one per run: a finding is a drifted feature
(``drift:interfaces``), ``unreachable`` or ``error``. A run opens a fault for a new finding,
counts another sighting of one already open, and closes the device's open faults whose
finding is gone. A device that could not be checked (unreachable, error) closes nothing but
its own reachability faults: whether its config drifted is unknown. Devices outside the run
(``--host``/``--site`` filters) are left alone. Kept in the SQLite ticket store (table
``faults``, migration 2).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance
from sipelangi_net.tickets.sqlite import immediate

FaultStatus = Literal["open", "closed"]
UNCHECKED = ("unreachable", "error")


@dataclass(frozen=True, slots=True)
class Fault:
    id: int
    device: str
    finding: str
    status: FaultStatus
    summary: str
    opened_at: str
    last_seen_at: str
    seen: int
    closed_at: str | None
    detail: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"GGN-{self.id:05d}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.label,
            "device": self.device,
            "finding": self.finding,
            "status": self.status,
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
        return {device.status: (f"{device.device}: {device.status}: {device.error}"[:300], {})}
    out = {}
    for f in device.drifted:
        summary = f"{device.device}: {f.name} drifted ({len(f.missing)} missing, {len(f.extra)} extra lines)"
        out[f"drift:{f.name}"] = (summary, f.to_json())
    return out


_COLUMNS = "id, device, finding, status, summary, opened_at, last_seen_at, seen, closed_at, detail"


def _fault(row: tuple[Any, ...]) -> Fault:
    fid, device, finding, status, summary, opened_at, last_seen_at, seen, closed_at, detail = row
    return Fault(
        id=fid,
        device=device,
        finding=finding,
        status=status,
        summary=summary,
        opened_at=opened_at,
        last_seen_at=last_seen_at,
        seen=seen,
        closed_at=closed_at,
        detail=json.loads(detail),
    )


def _get(conn: sqlite3.Connection, fault_id: int) -> Fault:
    row = conn.execute(f"SELECT {_COLUMNS} FROM faults WHERE id = ?", (fault_id,)).fetchone()  # noqa: S608
    return _fault(row)


def _sync_device(
    conn: sqlite3.Connection, device: DeviceCompliance, stamp: str
) -> tuple[list[int], list[int], list[int]]:
    current = findings(device)
    rows = conn.execute(
        "SELECT id, finding FROM faults WHERE device = ? AND status = 'open'", (device.device,)
    ).fetchall()
    open_now = {finding: fid for fid, finding in rows}
    opened, seen, closed = [], [], []
    for finding, (summary, detail) in current.items():
        if finding in open_now:
            conn.execute(
                "UPDATE faults SET last_seen_at = ?, seen = seen + 1, summary = ?, detail = ? WHERE id = ?",
                (stamp, summary, json.dumps(detail), open_now[finding]),
            )
            seen.append(open_now[finding])
        else:
            cur = conn.execute(
                "INSERT INTO faults (device, finding, status, summary, detail, opened_at, last_seen_at)"
                " VALUES (?, ?, 'open', ?, ?, ?, ?)",
                (device.device, finding, summary, json.dumps(detail), stamp, stamp),
            )
            opened.append(int(cur.lastrowid or 0))
    checked = device.status not in UNCHECKED
    for finding, fid in open_now.items():
        if finding not in current and (checked or finding in UNCHECKED):
            conn.execute("UPDATE faults SET status = 'closed', closed_at = ? WHERE id = ?", (stamp, fid))
            closed.append(fid)
    return opened, seen, closed


def sync_faults(conn: sqlite3.Connection, report: ComplianceReport, *, now: dt.datetime) -> FaultChanges:
    """Open, count and close the fault tickets of the devices in ``report`` (one transaction)."""
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    ids: tuple[list[int], list[int], list[int]] = ([], [], [])
    with immediate(conn):
        for device in report.devices:
            for bucket, more in zip(ids, _sync_device(conn, device, stamp), strict=True):
                bucket.extend(more)
        faults = [tuple(_get(conn, i) for i in bucket) for bucket in ids]
    return FaultChanges(opened=faults[0], still_open=faults[1], closed=faults[2])


def list_faults(conn: sqlite3.Connection, *, status: FaultStatus | None = None) -> list[Fault]:
    query = f"SELECT {_COLUMNS} FROM faults"  # noqa: S608
    args: tuple[str, ...] = ()
    if status:
        query += " WHERE status = ?"
        args = (status,)
    return [_fault(r) for r in conn.execute(query + " ORDER BY id", args)]
