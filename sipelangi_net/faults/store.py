"""The fault tickets kept in the SQLite ticket store: :class:`SqliteFaults` (a ``FaultRecords``).

On the ticket store's connection (``SqliteStore.faults``), tables of schema version 7
(:mod:`sipelangi_net.faults.schema`). Every write is one ``BEGIN IMMEDIATE`` transaction that
reads the fault, checks the step with the pure workflow (:mod:`sipelangi_net.faults.workflow`),
appends it and queues its notifications (:mod:`sipelangi_net.faults.notices`): two processes
recording on one fault are serialised by SQLite's write lock, and the unique index on the open
``key`` keeps one open fault per cause. A stored value is not trusted: a row that does not fit
the fault ticket is a :class:`~sipelangi_net.errors.MalformedTicketError` naming the ``GGN-``
label and the field, and lists leave it out (``skipped``) instead of failing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from sipelangi_net.errors import MalformedTicketError, TicketNotFound, WorkflowError
from sipelangi_net.faults import notices, workflow
from sipelangi_net.faults.models import FaultActor, FaultRecord, FaultTicket, fault_label
from sipelangi_net.faults.records import FaultDraft, FaultStatus
from sipelangi_net.faults.sop import Severity, StepKey
from sipelangi_net.tickets.models import Request
from sipelangi_net.tickets.outputs import Skipped, skip
from sipelangi_net.tickets.sqlite import enqueue, immediate
from sipelangi_net.validate import printable

if TYPE_CHECKING:
    from sipelangi_net.faults.models import FaultSource
    from sipelangi_net.tickets.sqlite import SqliteStore

MAX_RECORDS = 1000
"""Records kept on one fault (:attr:`FaultTicket.records`' limit)."""
_COLUMNS = (
    "id, key, kind, source, severity, device, link_a, link_b, opds, tickets, summary, status, opened_at"
)


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Sighting:
    """How often a cause was seen while its fault is open (compliance's nightly findings)."""

    finding: str
    seen: int
    last_seen_at: str
    detail: Mapping[str, Any]


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors(include_url=False, include_input=False)[0]
        return f"{'.'.join(printable(str(p)) for p in err['loc']) or '(top)'}: {err['msg']}"
    return printable(str(exc))[:200] or type(exc).__name__


def _event(row: tuple[Any, ...]) -> dict[str, Any]:
    step, at, role, actor, note = row
    return {"step": step, "at": at, "actor": {"role": role, "name": actor}, "note": note}


def _record(row: tuple[Any, ...]) -> dict[str, Any]:
    kind, at, role, actor, summary, outputs = row
    out = json.loads(outputs)
    return {
        "kind": kind,
        "at": at,
        "actor": {"role": role, "name": actor},
        "summary": summary,
        "outputs": out,
    }


class SqliteFaults:
    """:class:`~sipelangi_net.faults.records.FaultRecords` on a :class:`SqliteStore`'s connection."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.skipped: list[Skipped] = []
        """The faults the last :meth:`list` left out because their stored record is unreadable."""

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with immediate(self.conn, where=f"{self.store.path}: ") as conn:
            yield conn

    # --- reading ------------------------------------------------------------
    def _load(self, conn: sqlite3.Connection, fault_id: int) -> FaultTicket:
        row = conn.execute(f"SELECT {_COLUMNS} FROM faults WHERE id = ?", (fault_id,)).fetchone()  # noqa: S608
        if row is None:
            raise TicketNotFound(f"{fault_label(fault_id)}: no such fault ticket in {self.store.path}")
        try:
            return self._parse(conn, row)
        except (ValueError, TypeError, RecursionError) as exc:  # pydantic's ValidationError is a ValueError
            raise MalformedTicketError(
                f"{fault_label(fault_id)}: the stored fault in {self.store.path} is unreadable: {_why(exc)}"
            ) from None

    @staticmethod
    def _parse(conn: sqlite3.Connection, row: tuple[Any, ...]) -> FaultTicket:
        fid, _key, kind, source, severity, device, link_a, link_b, opds, tickets, summary, _status, opened = (
            row
        )
        history = conn.execute(
            "SELECT step, at, role, actor, note FROM fault_events WHERE fault_id = ? ORDER BY seq", (fid,)
        ).fetchall()
        records = conn.execute(
            "SELECT kind, at, role, actor, summary, outputs FROM fault_records"
            " WHERE fault_id = ? ORDER BY seq",
            (fid,),
        ).fetchall()
        link = None if link_a is None and link_b is None else {"a": link_a, "b": link_b}
        return FaultTicket.model_validate(
            {
                "id": fid,
                "kind": kind,
                "source": source,
                "severity": severity,
                "device": device,
                "link": link,
                "opds": tuple(json.loads(opds)),
                "tickets": tuple(json.loads(tickets)),
                "summary": summary,
                "opened_at": opened,
                "history": tuple(_event(r) for r in history),
                "records": tuple(_record(r) for r in records),
            }
        )

    def get(self, fault_id: int) -> FaultTicket:
        return self._load(self.conn, fault_id)

    def open_by_key(self, key: str) -> FaultTicket | None:
        row = self.conn.execute("SELECT id FROM faults WHERE key = ? AND status = 'open'", (key,)).fetchone()
        return None if row is None else self._load(self.conn, row[0])

    def list(
        self,
        *,
        status: FaultStatus | None = None,
        opd: str | None = None,
        source: FaultSource | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> Sequence[FaultTicket]:
        """Faults by number; ``since``/``until`` select those open at any time in that span."""
        where, args = ["1=1"], []
        for clause, value in (
            ("status = ?", status),
            ("source = ?", source),
            ("EXISTS (SELECT 1 FROM json_each(faults.opds) WHERE value = ?)", opd),
            ("(closed_at IS NULL OR closed_at >= ?)", since and _ts(since)),
            ("opened_at < ?", until and _ts(until)),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = "SELECT id FROM faults WHERE " + " AND ".join(where) + " ORDER BY id"  # noqa: S608
        ids = [r[0] for r in self.conn.execute(sql, args)]
        out: list[FaultTicket] = []
        self.skipped = []
        for i in ids:  # one unreadable fault is left out and reported, never fatal to the others
            try:
                out.append(self._load(self.conn, i))
            except MalformedTicketError as exc:
                self.skipped.append(skip(fault_label(i), str(exc), doing="the fault list"))
        return out

    def sighting(self, fault_id: int) -> Sighting:
        """What compliance keeps of a fault's sightings (finding, count, last, detail)."""
        row = self.conn.execute(
            "SELECT finding, seen, last_seen_at, detail FROM faults WHERE id = ?", (fault_id,)
        ).fetchone()
        if row is None:
            raise TicketNotFound(f"{fault_label(fault_id)}: no such fault ticket in {self.store.path}")
        try:
            detail = json.loads(row[3])
        except ValueError as exc:
            raise MalformedTicketError(
                f"{fault_label(fault_id)}: the stored fault in {self.store.path} is unreadable: detail: {exc}"
            ) from None
        return Sighting(str(row[0]), int(row[1]), str(row[2]), detail if isinstance(detail, dict) else {})

    # --- writing ------------------------------------------------------------
    def open(
        self,
        draft: FaultDraft,
        *,
        actor: FaultActor,
        at: dt.datetime,
        finding: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> tuple[FaultTicket, bool]:
        """Open a fault for ``draft`` (step ``reported`` by ``actor`` at ``at``) and queue its
        notifications in the same transaction; the fault already open for ``draft.key``, unchanged,
        and ``False`` when there is one. ``finding`` and ``detail``: what compliance keeps of its finding
        (default finding: the key's last part, ``down``)."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT id FROM faults WHERE key = ? AND status = 'open'", (draft.key,)
            ).fetchone()
            if row is not None:
                return self._load(conn, row[0]), False
            tickets = draft.tickets or self._installations(conn, draft.opds)
            link = draft.link
            cur = conn.execute(
                "INSERT INTO faults (key, kind, source, severity, device, link_a, link_b, opds, tickets,"
                " summary, status, opened_at, finding, detail, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
                (
                    draft.key,
                    draft.kind,
                    draft.source,
                    draft.severity,
                    draft.device,
                    link and link.a,
                    link and link.b,
                    json.dumps(list(draft.opds)),
                    json.dumps(list(tickets)),
                    draft.summary,
                    _ts(draft.opened_at),
                    finding or draft.key.rsplit(":", 1)[-1],
                    json.dumps(dict(detail or {}), sort_keys=True),
                    _ts(at),
                ),
            )
            fault = workflow.open_fault(
                number=int(cur.lastrowid or 0),
                kind=draft.kind,
                source=draft.source,
                severity=draft.severity,
                device=draft.device,
                summary=draft.summary,
                opened_at=draft.opened_at,
                reported_at=at,
                actor=actor,
                link=link,
                opds=draft.opds,
                tickets=tickets,
                note=draft.note,
            )
            self._append(conn, fault)
            return self._load(conn, fault.id), True

    def move(
        self,
        fault_id: int,
        step: StepKey,
        *,
        actor: FaultActor,
        at: dt.datetime,
        note: str = "",
        severity: Severity | None = None,
    ) -> FaultTicket:
        """Record ``step`` (workflow.move's checks) and queue its notifications, in one transaction;
        ``severity`` regrades the fault at ``triaged`` (the change is in the step's note)."""
        with self._write() as conn:
            fault = self._load(conn, fault_id)
            moved = workflow.move(
                fault, step, at=at, actor=actor, note=note, now=self.store.clock(), severity=severity
            )
            self._append(conn, moved)
            if moved.severity != fault.severity:
                conn.execute("UPDATE faults SET severity = ? WHERE id = ?", (moved.severity, fault_id))
            return self._load(conn, fault_id)

    def add_record(self, fault_id: int, record: FaultRecord) -> FaultTicket:
        """Append a diagnosis, re-test or observation to the fault (open or closed)."""
        with self._write() as conn:
            fault = self._load(conn, fault_id)
            if len(fault.records) >= MAX_RECORDS:
                raise WorkflowError(
                    f"{fault.label}: already holds {MAX_RECORDS} records; open a new fault for a new cause"
                )
            conn.execute(
                "INSERT INTO fault_records (fault_id, seq, kind, at, role, actor, summary, outputs)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fault_id,
                    len(fault.records) + 1,
                    record.kind,
                    _ts(record.at),
                    record.actor.role.value,
                    record.actor.name,
                    record.summary,
                    json.dumps(record.model_dump(mode="json")["outputs"], sort_keys=True),
                ),
            )
            return self._load(conn, fault_id)

    def seen_again(
        self, fault_id: int, *, at: dt.datetime, summary: str, detail: Mapping[str, Any]
    ) -> FaultTicket:
        """Count one more sighting of an open fault's cause (compliance's run), keeping its detail."""
        with self._write() as conn:
            fault = self._load(conn, fault_id)
            if fault.closed:
                raise WorkflowError(f"{fault.label}: closed; a new sighting is a new fault")
            conn.execute(
                "UPDATE faults SET last_seen_at = ?, seen = seen + 1, detail = ? WHERE id = ?",
                (_ts(at), json.dumps(dict(detail), sort_keys=True), fault_id),
            )
            if summary and summary != fault.summary:
                conn.execute(
                    "UPDATE faults SET summary = ? WHERE id = ?", (printable(summary)[:200], fault_id)
                )
            return self._load(conn, fault_id)

    # --- inside a write -----------------------------------------------------
    def _append(self, conn: sqlite3.Connection, fault: FaultTicket) -> None:
        """Insert ``fault``'s last step, set its status, and queue what the step calls for."""
        event = fault.history[-1]
        conn.execute(
            "INSERT INTO fault_events (fault_id, seq, step, at, role, actor, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                fault.id,
                len(fault.history),
                event.step,
                _ts(event.at),
                event.actor.role.value,
                event.actor.name,
                event.note,
            ),
        )
        if fault.closed:
            conn.execute(
                "UPDATE faults SET status = 'closed', closed_at = ? WHERE id = ?", (_ts(event.at), fault.id)
            )
        queued = notices.queued_for_fault(
            fault,
            contacts=self._contacts(conn, fault),
            officials=self.store.officials,
            webhook_url=self.store.webhook_url,
        )
        enqueue(conn, queued, fault_id=fault.id)

    @staticmethod
    def _installations(conn: sqlite3.Connection, opds: Sequence[str]) -> tuple[str, ...]:
        """The installation ticket of each OPD site: its latest ticket not withdrawn."""
        out: list[str] = []
        for site in opds:
            row = conn.execute(
                "SELECT id FROM tickets WHERE json_extract(request, '$.site') = ? AND status != 'withdrawn'"
                " ORDER BY id DESC LIMIT 1",
                (site,),
            ).fetchone()
            if row is not None and row[0] not in out:
                out.append(row[0])
        return tuple(out)

    def _contacts(self, conn: sqlite3.Connection, fault: FaultTicket) -> tuple[notices.Contact, ...]:
        """The PICs of the fault's installation tickets (a ticket whose request is unreadable is left out)."""
        if not (fault.step == "reported" and len(fault.history) == 1) and not fault.closed:
            return ()
        out: list[notices.Contact] = []
        for ticket_id in fault.tickets:
            row = conn.execute("SELECT request FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            if row is None:
                continue
            try:
                request = Request.model_validate_json(row[0])
            except ValueError as exc:
                skip(
                    ticket_id,
                    f"ticket {ticket_id}: unreadable request: {_why(exc)}",
                    doing="the fault notices",
                )
                continue
            out.append(
                notices.Contact(
                    site=request.site,
                    opd=request.opd,
                    name=request.pic.name,
                    email=str(request.pic.email),
                    ticket=ticket_id,
                )
            )
        return tuple(out)
