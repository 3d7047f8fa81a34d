"""The embedded ticket store: one SQLite file, WAL, schema migrations.

Every write runs in one ``BEGIN IMMEDIATE`` transaction that reads the ticket,
checks the move against the SOP and appends the event: two processes updating
the same ticket are serialised by SQLite's write lock, so no update is lost.
Events are append-only (triggers refuse UPDATE and DELETE) and hash-chained; every event
and each ticket's head are sealed with a MAC under the audit key (kept outside the database)
and each write appends a checkpoint of the ticket's head (:mod:`sipelangi_net.tickets.anchor`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from sipelangi_net.errors import MalformedTicketError, StoreError, TicketNotFound
from sipelangi_net.faults import schema as fault_schema
from sipelangi_net.tickets import anchor, leases, listing, seals, workflow
from sipelangi_net.tickets.audit import Adoption, StoreAudit, blocking_adoption, check_store
from sipelangi_net.tickets.models import AccountStamp, Event, Move, Notification, Request, Ticket
from sipelangi_net.tickets.officials import Officials, load_officials
from sipelangi_net.tickets.outbox import Queued, queued_for
from sipelangi_net.tickets.outputs import Skipped, skip
from sipelangi_net.tickets.policy import Actor
from sipelangi_net.tickets.sla import EventTime
from sipelangi_net.validate import printable

if TYPE_CHECKING:
    from sipelangi_net.compliance.faults import Fault
    from sipelangi_net.faults.store import SqliteFaults

MIGRATIONS: tuple[str, ...] = (
    # 1: tickets, append-only events, notification outbox
    """
    CREATE TABLE tickets (
        id TEXT PRIMARY KEY,
        year INTEGER NOT NULL,
        number INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        request TEXT NOT NULL,
        status TEXT NOT NULL,
        UNIQUE (year, number)
    );
    CREATE TABLE events (
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        seq INTEGER NOT NULL,
        step INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL,
        note TEXT NOT NULL,
        outputs TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (ticket_id, seq)
    );
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        kind TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
    CREATE INDEX tickets_created ON tickets (created_at);
    """,
    # 2: fault tickets (SOP Penanganan Gangguan Jaringan Intra Pemerintah): one open fault per
    # device and finding, opened and closed by compliance runs (sipelangi_net/compliance/faults.py)
    """
    CREATE TABLE faults (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device TEXT NOT NULL,
        finding TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        summary TEXT NOT NULL,
        detail TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        seen INTEGER NOT NULL DEFAULT 1,
        closed_at TEXT
    );
    CREATE UNIQUE INDEX faults_one_open ON faults (device, finding) WHERE status = 'open';
    """,
    # 3: the seals: event MACs, sealed heads and the store's id (sipelangi_net/tickets/seals.py)
    seals.MIGRATION,
    # 4: the account that recorded an event (sipelangi_net/tickets/policy.py); NULL before accounts
    "ALTER TABLE events ADD COLUMN account TEXT;",
    # 5: tickets.updated_at and the indexes of paged, filtered lists (sipelangi_net/tickets/listing.py)
    listing.MIGRATION,
    # 6: leases on tickets, devices and the calendar, decided by the shared store (tickets/leases.py)
    leases.MIGRATION,
    # 7: fault tickets grown from compliance's: keys, kinds, OPDs, steps and records; the outbox
    # holds a fault's notifications too (sipelangi_net/faults/schema.py)
    fault_schema.MIGRATION,
)
SCHEMA_VERSION = len(MIGRATIONS)
MAX_ATTEMPTS = 8
BUSY_TIMEOUT_MS = 30000
BACKOFF_S = 30

logger = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


_POSIX = "(julianday({}) - 2440587.5) * 86400.0"
"""A stored time as POSIX seconds, computed by SQLite (the SLA reads tens of thousands at once)."""


def _parse_ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def lock_holders(db: Path) -> list[str]:
    """``pid N (command)`` of the other processes holding a write lock on ``db`` or its WAL files.

    Read from ``/proc/locks``: Linux only; elsewhere (macOS, Windows), or when it cannot be read or
    no holder is shown, empty (the caller then says "another process").
    """
    if not sys.platform.startswith("linux"):
        return []
    files = set()
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        with contextlib.suppress(OSError):
            st = path.stat()
            files.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    try:
        table = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    held = map(_lock_line, table.splitlines())
    pids = sorted({pid for pid, f in held if f in files and pid != os.getpid()})
    return [f"pid {pid}{_command(pid)}" for pid in pids]


def _lock_line(line: str) -> tuple[int, tuple[int, int, int]]:
    """(pid, (major, minor, inode)) of a held WRITE lock in a /proc/locks line; (0, (0, 0, 0)) otherwise."""
    f = line.split()
    if "->" in f or len(f) < 6 or f[3] != "WRITE":
        return 0, (0, 0, 0)
    try:
        major, minor, inode = f[5].split(":")
        return int(f[4]), (int(major, 16), int(minor, 16), int(inode))
    except ValueError:
        return 0, (0, 0, 0)


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = printable(raw.replace(b"\0", b" ").decode("utf-8", "replace").strip())[:120]
    return f" ({words})" if words else ""


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection, *, where: str = "") -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE``): committed at the end, rolled back on any error.

    SQLite refusing the write (the disk or the database full, locked at commit, read-only) is a
    StoreError saying nothing of it was stored, not an internal error.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreError(f"{where}the ticket database is busy or locked: {exc}") from None
    try:
        yield conn
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        full = " (free space on its disk)" if "full" in str(exc) else ""
        raise StoreError(
            f"{where}the ticket database refused the write: {exc}{full}; nothing was stored"
        ) from None
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction (SQLite may already have, e.g. after SQLITE_FULL)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class SqliteStore:
    """The default :class:`~sipelangi_net.tickets.store.TicketStore`."""

    def __init__(
        self,
        path: Path,
        *,
        webhook_url: str | None = None,
        audit_key: Path | None = None,
        checkpoints: Path | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        officials: Officials | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.path = path
        self.clock = clock or utcnow
        """When a ticket is opened or a step recorded (a test gives its own, to record in the past)."""
        self._officials = officials
        """Where the Kepala Dinas's and Kepala Bidang's messages go (default: read when first needed)."""
        self.busy_timeout_ms = busy_timeout_ms
        """How long a write waits for another process's lock before it fails (StoreError)."""
        self.webhook_url = webhook_url if webhook_url is not None else os.environ.get("SIPELANGI_WEBHOOK_URL")
        self.audit_key = audit_key or anchor.key_path()
        self.checkpoints = checkpoints or anchor.checkpoints_path()
        self._conn: sqlite3.Connection | None = None
        self._key: anchor.AuditKey | None = None
        self._faults: SqliteFaults | None = None
        self.skipped: list[Skipped] = []
        """The tickets the last :meth:`tickets` left out because their stored record is unreadable."""

    # --- connection ---------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        return connect(self.path, self.busy_timeout_ms, self._migrate, what="the ticket database")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this sipelangi-net ({SCHEMA_VERSION});"
                " upgrade sipelangi-net"
            )
        for number in range(version, SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if current == number:  # another process may have migrated meanwhile
                    for statement in _statements(MIGRATIONS[number]):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with immediate(self.conn, where=f"{self.path}: ") as conn:
            yield conn

    def ready_to_write(self, *, wait: float) -> None:
        """StoreError unless a write transaction can be taken within ``wait`` seconds (then rolled back).

        A run that will change devices asks this first, so a store that stays locked or cannot be
        written fails the run before any device is touched, not after. The message names the
        database and, when the kernel shows it (``/proc/locks``), the process holding its lock.
        """
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {max(0, int(wait * 1000))}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            held = lock_holders(self.path)
            by = f" by {', '.join(held)}" if held else " by another process"
            raise StoreError(
                f"{self.path}: the ticket database cannot be written now ({exc}): it is locked{by}"
                f" and did not free within {wait:g} s; nothing was done to any device;"
                " run again when that process has finished"
            ) from None
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- reading ------------------------------------------------------------
    def _load(self, conn: sqlite3.Connection, ticket_id: str) -> Ticket:
        """The ticket as stored; MalformedTicketError (naming it) when a row does not parse."""
        try:
            return self._parse_ticket(conn, ticket_id)
        except (ValueError, TypeError, RecursionError) as exc:  # pydantic's ValidationError is a ValueError
            raise MalformedTicketError(
                f"ticket {ticket_id}: the stored record in {self.path} is unreadable: {_why(exc)}"
            ) from None

    def _parse_ticket(self, conn: sqlite3.Connection, ticket_id: str) -> Ticket:
        row = conn.execute(
            "SELECT id, created_at, request, status FROM tickets WHERE id = ?", (ticket_id,)
        ).fetchone()
        if row is None:
            raise TicketNotFound(f"ticket {ticket_id}: not found in {self.path}")
        events = [
            _event(r)
            for r in conn.execute(
                "SELECT ticket_id, seq, step, outcome, actor, role, started_at, ended_at, note, outputs,"
                " prev_hash, hash, account FROM events WHERE ticket_id = ? ORDER BY seq",
                (ticket_id,),
            )
        ]
        return Ticket(
            id=row[0],
            created_at=_parse_ts(row[1]),
            request=_request(row[2]),
            status=row[3],
            events=tuple(events),
        )

    def get(self, ticket_id: str) -> Ticket:
        return self._load(self.conn, ticket_id)

    def tickets(
        self, *, status: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Ticket]:
        query = "SELECT id FROM tickets WHERE 1=1"
        args: list[Any] = []
        if status:
            query += " AND status = ?"
            args.append(status)
        if since:
            query += " AND created_at >= ?"
            args.append(_ts(since))
        if until:
            query += " AND created_at < ?"
            args.append(_ts(until))
        ids = [r[0] for r in self.conn.execute(query + " ORDER BY created_at, id", args)]
        out: list[Ticket] = []
        self.skipped = []
        for i in ids:  # one unreadable ticket is skipped and reported, never fatal to the others
            try:
                out.append(self._load(self.conn, i))
            except MalformedTicketError as exc:
                self.skipped.append(skip(i, str(exc), doing="the ticket list"))
        return out

    def page(
        self, query: listing.TicketQuery, *, after: str | None, limit: int, newest: bool = False
    ) -> listing.TicketPage:
        """Up to ``limit`` tickets with ids after ``after``, in id order (keyset pagination); ``newest``:
        the newest first, with ids below ``after`` (the pages' lists)."""
        sql, args = listing.page_sql(query, after=after, limit=limit + 1, newest=newest)
        ids = [r[0] for r in self.conn.execute(sql, args)]
        more, ids = len(ids) > limit, ids[:limit]
        out: list[Ticket] = []
        skipped: list[Skipped] = []
        for i in ids:  # one unreadable ticket is skipped and reported, never fatal to the page
            try:
                out.append(self._load(self.conn, i))
            except MalformedTicketError as exc:
                skipped.append(skip(i, str(exc), doing="the ticket list"))
        return listing.TicketPage(tuple(out), ids[-1] if more else None, tuple(skipped))

    def event_times(
        self,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after: int = 0,
        upto: int | None = None,
    ) -> list[EventTime]:
        """The step, outcome and times of the events that ended in [since, until) and were appended
        after the version ``after`` up to ``upto`` (:meth:`events_version`): one query, no ticket
        parsed (the Kepala Bidang's SLA dashboard over the whole store)."""
        query = f"SELECT step, outcome, {_POSIX.format('started_at')}, {_POSIX.format('ended_at')}"
        query += " FROM events WHERE rowid > ?"
        args: list[Any] = [after]
        if upto is not None:
            query += " AND rowid <= ?"
            args.append(upto)
        if since is not None:
            query += " AND ended_at >= ?"
            args.append(_ts(since))
        if until is not None:
            query += " AND ended_at < ?"
            args.append(_ts(until))
        return [EventTime(*r) for r in self.conn.execute(query, args)]

    def events_version(self) -> int:
        """Grows with every event appended (events are append-only, so rowids only grow): figures
        computed from the events up to a version stay true of them."""
        row = self.conn.execute("SELECT max(rowid) FROM events").fetchone()
        return int(row[0] or 0)

    def active_tickets(self, *, since: dt.datetime, until: dt.datetime) -> list[Ticket]:
        """The tickets opened in [since, until) or with an event that ended then (the monthly report)."""
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM tickets WHERE created_at >= ? AND created_at < ? UNION"
                " SELECT DISTINCT ticket_id FROM events WHERE ended_at >= ? AND ended_at < ? ORDER BY 1",
                (_ts(since), _ts(until), _ts(since), _ts(until)),
            )
        ]
        out: list[Ticket] = []
        for i in ids:  # an unreadable ticket is left out, as the lists do
            try:
                out.append(self._load(self.conn, i))
            except MalformedTicketError as exc:
                skip(i, str(exc), doing="the monthly report")
        return out

    def open_faults(self) -> list[Fault]:
        """The open fault tickets as compliance shows them (sipelangi_net/compliance/faults.py)."""
        from sipelangi_net.compliance.faults import list_faults

        return list_faults(self.faults, status="open")

    @property
    def faults(self) -> SqliteFaults:
        """The fault tickets kept in this store (:class:`~sipelangi_net.faults.records.FaultRecords`)."""
        from sipelangi_net.faults.store import SqliteFaults

        if self._faults is None:
            self._faults = SqliteFaults(self)
        return self._faults

    # --- writing ------------------------------------------------------------
    def _sealing_key(self, conn: sqlite3.Connection) -> anchor.AuditKey:
        """The audit key for a write (inside its transaction): made on a store's first sealed write."""
        if self._key is None:
            self._key = anchor.load_key(self.audit_key, create=seals.key_id(conn) is None)
        return seals.bind(conn, self._key, where=str(self.path))

    def create(self, request: Request, *, helpdesk: str, account: Actor | None = None) -> Ticket:
        """Open a ticket; with ``account``, as the policy lets it (a pemohon submits, the helpdesk
        enters a paper letter and forwards it), else recorded as today (steps 1 and 2)."""
        now = self.clock()
        with self._write() as conn:
            key = self._sealing_key(conn)
            year = now.astimezone(dt.timezone(dt.timedelta(hours=7))).year
            number = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM tickets WHERE year = ?", (year,)
            ).fetchone()[0]
            ticket_id = f"SPL-{year}-{number:05d}"
            created, events = workflow.opening(
                ticket_id, request, helpdesk=helpdesk, now=now, account=account
            )
            conn.execute(
                "INSERT INTO tickets (id, year, number, created_at, request, status)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    ticket_id,
                    year,
                    number,
                    _ts(created),
                    request.model_dump_json(),
                    workflow.derived_status(events),
                ),
            )
            for event in events:
                self._insert_event(conn, event)
            point = seals.seal(conn, key, ticket_id, events)
            created_ticket = self._load(conn, ticket_id)
            self._enqueue(conn, created_ticket, events[-1])
        anchor.append_checkpoints(self.checkpoints, [point])
        return created_ticket

    def apply(self, ticket_id: str, move: Move, *, account: Actor | None = None) -> Ticket:
        """Check ``move`` (with ``account``: also who may do it) and append its event atomically."""
        with self._write() as conn:
            ticket = self._load(conn, ticket_id)
            transition = workflow.plan(ticket, move, now=self.clock(), account=account)
            key = self._sealing_key(conn)
            self._insert_event(conn, transition.event)
            conn.execute("UPDATE tickets SET status = ? WHERE id = ?", (transition.status, ticket_id))
            point = seals.seal(conn, key, ticket_id, [transition.event])
            updated = self._load(conn, ticket_id)
            self._enqueue(conn, updated, transition.event)
        anchor.append_checkpoints(self.checkpoints, [point])
        return updated

    # --- leases (sipelangi_net.tickets.leases) ------------------------------
    def acquire_leases(
        self, names: list[str], *, holder: leases.Holder, purpose: str, ttl_s: float
    ) -> leases.Lease:
        """All of ``names`` as one lease, in one write transaction; Busy naming the holders if not."""
        with self._write() as conn:
            return leases.acquire(conn, names, holder=holder, purpose=purpose, ttl_s=ttl_s, now=utcnow())

    def renew_lease(self, lease_id: str, *, account_id: str, ttl_s: float) -> leases.Lease:
        """The lease extended by ``ttl_s`` from now; LeaseLost when it was taken over or released."""
        with self._write() as conn:
            return leases.renew(conn, lease_id, account_id=account_id, ttl_s=ttl_s, now=utcnow())

    def release_lease(self, lease_id: str, *, account_id: str, admin: bool = False) -> bool:
        """Give the lease up (its account, or an admin); False when it was not held."""
        with self._write() as conn:
            return leases.release(conn, lease_id, account_id=account_id, admin=admin)

    def held_leases(self) -> list[leases.Lease]:
        """The leases held now."""
        return leases.current(self.conn, now=utcnow())

    # --- audit --------------------------------------------------------------
    def audit(self, ticket_id: str | None = None) -> StoreAudit:
        """Check the store (or one ticket) against the audit key and the checkpoints; never writes."""
        cpfile = anchor.read_checkpoints(self.checkpoints)  # first: a checkpoint read was committed before
        key = anchor.load_key(self.audit_key, create=False)
        with self._snapshot() as conn:
            seals.check_key(conn, key, where=str(self.path))
            if ticket_id is None:
                ids = [r[0] for r in conn.execute("SELECT id FROM tickets ORDER BY id")]
            else:
                ids = [r[0] for r in conn.execute("SELECT id FROM tickets WHERE id = ?", (ticket_id,))]
                cpfile = dataclasses.replace(
                    cpfile, points=tuple(p for p in cpfile.points if p.ticket == ticket_id)
                )
                if not ids and not cpfile.points:
                    raise TicketNotFound(
                        f"ticket {ticket_id}: not found in {self.path} nor in {self.checkpoints}"
                    )
            sealed = seals.sealed(conn, [self._load(conn, i) for i in ids])
            sid = seals.store_id(conn)
        return check_store(
            store=str(self.path), store_id=sid, key=key, sealed=sealed, cpfile=cpfile, whole=ticket_id is None
        )

    def adopt(self) -> tuple[Adoption, StoreAudit]:
        """Seal the events recorded before sealing, and checkpoint every ticket that verifies.

        A ticket is adopted only when its chain and status verify and its sealed events' MACs
        match; its history up to now is then trusted as found (logged).
        """
        adopted: list[str] = []
        refused: list[str] = []
        with self._write() as conn:
            key = self._sealing_key(conn)
            sid = seals.store_id(conn)
            ids = [r[0] for r in conn.execute("SELECT id FROM tickets ORDER BY id")]
            for s in seals.sealed(conn, [self._load(conn, i) for i in ids]):
                unsealed = [e for e, mac in zip(s.ticket.events, s.macs, strict=True) if mac is None]
                if not unsealed:
                    continue
                problems = blocking_adoption(s, key, sid)
                if problems:
                    refused.extend(problems)
                    continue
                seals.seal(conn, key, s.ticket.id, unsealed, head=s.ticket.events[-1])
                adopted.append(s.ticket.id)
        if adopted:
            logger.warning(
                "%s: adopted %d tickets under audit key %s; their history up to now is trusted as found",
                self.path,
                len(adopted),
                key.key_id,
            )
        verified = {t.ticket_id for t in self.audit().tickets if t.ok}
        with self._snapshot() as conn:
            heads = conn.execute(
                "SELECT e.ticket_id, e.seq, e.hash FROM events e JOIN tickets t"
                " ON t.id = e.ticket_id AND t.head_seq = e.seq ORDER BY e.ticket_id"
            ).fetchall()
        points = [anchor.checkpoint(key, sid, tid, seq, head) for tid, seq, head in heads if tid in verified]
        anchor.append_checkpoints(self.checkpoints, points)
        return Adoption(tuple(adopted), tuple(refused)), self.audit()

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every table as of one moment."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    @staticmethod
    def _insert_event(conn: sqlite3.Connection, e: Event) -> None:
        conn.execute(
            "INSERT INTO events (ticket_id, seq, step, outcome, actor, role, started_at, ended_at, note,"
            " outputs, prev_hash, hash, account) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.ticket_id,
                e.seq,
                e.step,
                e.outcome,
                e.actor,
                e.role,
                _ts(e.started_at),
                _ts(e.ended_at),
                e.note,
                json.dumps(e.outputs, sort_keys=True),
                e.prev_hash,
                e.hash,
                None if e.account is None else e.account.model_dump_json(),
            ),
        )

    @property
    def officials(self) -> Officials:
        """Where the officials' (and the helpdesk's) messages go: read when first needed."""
        if self._officials is None:
            self._officials = load_officials()
        return self._officials

    def _enqueue(self, conn: sqlite3.Connection, ticket: Ticket, event: Event) -> None:
        """Queue the SOP's message for ``event`` (tickets.messages.MESSAGES), in the step's transaction."""
        queued = queued_for(ticket, event, officials=self.officials, webhook_url=self.webhook_url)
        enqueue(conn, queued, ticket_id=ticket.id)

    # --- outbox -------------------------------------------------------------
    _NOTIFICATION_COLUMNS = (
        "id, ticket_id, fault_id, kind, channel, recipient, subject, body, status, attempts, last_error,"
        " created_at, next_attempt_at, sent_at"
    )

    @staticmethod
    def _notification(r: tuple[Any, ...]) -> Notification:
        return Notification(
            id=r[0],
            ticket_id=r[1],
            fault_id=r[2],
            kind=r[3],
            channel=r[4],
            recipient=r[5],
            subject=r[6],
            body=r[7],
            status=r[8],
            attempts=r[9],
            last_error=r[10],
            created_at=_parse_ts(r[11]),
            next_attempt_at=_parse_ts(r[12]),
            sent_at=_parse_ts(r[13]) if r[13] else None,
        )

    def outbox(
        self, *, due: dt.datetime | None = None, ticket_id: str | None = None, fault_id: int | None = None
    ) -> list[Notification]:
        """Notifications not yet sent (``due``: whose attempt is due by then), of a ticket or a fault."""
        query = f"SELECT {self._NOTIFICATION_COLUMNS} FROM notifications WHERE status != 'sent'"  # noqa: S608
        args: list[Any] = []
        if due is not None:
            query += " AND status = 'pending' AND next_attempt_at <= ?"
            args.append(_ts(due))
        if ticket_id is not None:
            query += " AND ticket_id = ?"
            args.append(ticket_id)
        if fault_id is not None:
            query += " AND fault_id = ?"
            args.append(fault_id)
        return [self._notification(r) for r in self.conn.execute(query + " ORDER BY id", args)]

    def record_delivery(self, notification_id: int, *, ok: bool, error: str = "") -> Notification:
        now = utcnow()
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {self._NOTIFICATION_COLUMNS} FROM notifications WHERE id = ?",  # noqa: S608
                (notification_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"notification {notification_id}: not found")
            n = self._notification(row)
            attempts = n.attempts + 1
            if ok:
                conn.execute(
                    "UPDATE notifications SET status = 'sent', attempts = ?, sent_at = ?, last_error = ''"
                    " WHERE id = ?",
                    (attempts, _ts(now), notification_id),
                )
            else:
                status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
                retry = now + dt.timedelta(seconds=min(BACKOFF_S * 2 ** (attempts - 1), 3600))
                conn.execute(
                    "UPDATE notifications SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?"
                    " WHERE id = ?",
                    (status, attempts, error[:500], _ts(retry), notification_id),
                )
            row = conn.execute(
                f"SELECT {self._NOTIFICATION_COLUMNS} FROM notifications WHERE id = ?",  # noqa: S608
                (notification_id,),
            ).fetchone()
            return self._notification(row)

    def retry_failed(self, ticket_id: str | None = None) -> int:
        """Make failed notifications pending again (``ticket notify --retry``)."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE notifications SET status = 'pending', next_attempt_at = ?"
                " WHERE status = 'failed' AND recipient != '' AND (? IS NULL OR ticket_id = ?)",
                (_ts(utcnow()), ticket_id, ticket_id),
            )
            return cur.rowcount


def enqueue(
    conn: sqlite3.Connection,
    queued: list[Queued],
    *,
    ticket_id: str | None = None,
    fault_id: int | None = None,
) -> None:
    """Insert ``queued`` into the outbox (inside the caller's write transaction) for one ticket or one
    fault; an undeliverable one is stored failed with its reason, and logged."""
    now = _ts(utcnow())
    about = ticket_id or f"GGN-{fault_id or 0:05d}"
    for q in queued:
        conn.execute(
            "INSERT INTO notifications (ticket_id, fault_id, kind, channel, recipient, subject, body, status,"
            " last_error, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                fault_id,
                q.kind,
                q.channel,
                q.recipient,
                q.subject,
                q.body,
                "failed" if q.undeliverable else "pending",
                q.undeliverable,
                now,
                now,
            ),
        )
        if q.undeliverable:
            logger.warning("%s: %s notification not deliverable: %s", about, q.kind, q.undeliverable)


def connect(
    path: Path, busy_timeout_ms: int, migrate: Callable[[sqlite3.Connection], None], *, what: str
) -> sqlite3.Connection:
    """The one way the ticket database file is opened (tickets and accounts): private (0600, folder
    0700), WAL, the busy timeout, foreign keys, then ``migrate``; StoreError naming ``what`` if not."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = not path.exists()
        conn = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        if fresh:
            os.chmod(path, 0o600)  # PIC names, phones and e-mails, password hashes: personal data
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: cannot open {what}: {exc}") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot open {what}: {exc.strerror or exc}") from None
    return conn


@functools.lru_cache(maxsize=16384)
def _event(r: tuple[Any, ...]) -> Event:
    """A stored event row, validated (a pure function of the row, and event rows never change:
    kept, so a ticket read again is not parsed again)."""
    return Event(
        ticket_id=r[0],
        seq=r[1],
        step=r[2],
        outcome=r[3],
        actor=r[4],
        role=r[5],
        started_at=_parse_ts(r[6]),
        ended_at=_parse_ts(r[7]),
        note=r[8],
        outputs=json.loads(r[9]),
        prev_hash=r[10],
        hash=r[11],
        account=None if r[12] is None else AccountStamp.model_validate_json(r[12]),
    )


@functools.lru_cache(maxsize=4096)
def _request(text: str) -> Request:
    """A stored request, validated (a pure function of its text, so kept: its e-mail check is half
    the cost of reading a ticket)."""
    return Request.model_validate_json(text)


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors(include_url=False, include_input=False)[0]
        return f"{'.'.join(printable(str(p)) for p in err['loc'])}: {err['msg']}"
    return printable(str(exc))[:200] or type(exc).__name__


def _statements(script: str) -> list[str]:
    """Split a migration into statements (triggers keep their BEGIN ... END bodies)."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out
