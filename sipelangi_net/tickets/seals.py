"""The seals in the SQLite store: event MACs, each ticket's sealed head, the store's identity (SQL).

Tables (schema version 3): ``audit`` (``store_id``, a random id made by the migration, and
``key_id``, the id of the audit key that seals the store), ``event_seals`` (one MAC per
event, append-only like the events) and ``tickets.head_seq``/``tickets.head_mac`` (the
last event's sequence number, MAC'd so that deleting it shows). The key itself is never
stored here; see :mod:`sipelangi_net.tickets.anchor`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from sipelangi_net.errors import SecretsError
from sipelangi_net.tickets.anchor import KEY_ENV, AuditKey, Checkpoint, checkpoint
from sipelangi_net.tickets.audit import SealedTicket
from sipelangi_net.tickets.models import Event, Ticket

MIGRATION = """
    CREATE TABLE audit (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO audit (name, value) VALUES ('store_id', lower(hex(randomblob(16))));
    CREATE TABLE event_seals (
        ticket_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        mac TEXT NOT NULL,
        PRIMARY KEY (ticket_id, seq),
        FOREIGN KEY (ticket_id, seq) REFERENCES events (ticket_id, seq)
    );
    CREATE TRIGGER event_seals_append_only_update BEFORE UPDATE ON event_seals
        BEGIN SELECT RAISE(ABORT, 'event seals are append-only'); END;
    CREATE TRIGGER event_seals_append_only_delete BEFORE DELETE ON event_seals
        BEGIN SELECT RAISE(ABORT, 'event seals are append-only'); END;
    ALTER TABLE tickets ADD COLUMN head_seq INTEGER;
    ALTER TABLE tickets ADD COLUMN head_mac TEXT;
    """


def _value(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM audit WHERE name = ?", (name,)).fetchone()
    return str(row[0]) if row else None


def store_id(conn: sqlite3.Connection) -> str:
    return _value(conn, "store_id") or ""


def key_id(conn: sqlite3.Connection) -> str | None:
    """The id of the key the store is sealed with (None: never sealed)."""
    return _value(conn, "key_id")


def check_key(conn: sqlite3.Connection, key: AuditKey | None, *, where: str) -> None:
    """Refuse a missing or different key for a store already sealed (``where``: the database path)."""
    bound = key_id(conn)
    if bound is None:
        return
    if key is None:
        raise SecretsError(
            f"{where}: the store is sealed with audit key {bound}, but no audit key was found;"
            f" restore the key file (or point {KEY_ENV} at it)"
        )
    if key.key_id != bound:
        raise SecretsError(
            f"{where}: the store is sealed with audit key {bound}, but {key.path} is key {key.key_id};"
            f" point {KEY_ENV} at the store's key"
        )


def bind(conn: sqlite3.Connection, key: AuditKey | None, *, where: str) -> AuditKey:
    """Seal the store with ``key`` from now on (inside a write transaction); refuse another key."""
    check_key(conn, key, where=where)
    if key is None:
        raise SecretsError(f"{where}: no audit key to seal the store with; set {KEY_ENV}")
    conn.execute("INSERT OR IGNORE INTO audit (name, value) VALUES ('key_id', ?)", (key.key_id,))
    return key


def seal(
    conn: sqlite3.Connection,
    key: AuditKey,
    ticket_id: str,
    events: Sequence[Event],
    *,
    head: Event | None = None,
) -> Checkpoint:
    """MAC ``events`` and move the ticket's sealed head to ``head`` (default: the last of ``events``)."""
    sid = store_id(conn)
    for e in events:
        conn.execute(
            "INSERT INTO event_seals (ticket_id, seq, mac) VALUES (?, ?, ?)",
            (ticket_id, e.seq, key.event_mac(sid, ticket_id, e.seq, e.hash)),
        )
    head = head or events[-1]
    conn.execute(
        "UPDATE tickets SET head_seq = ?, head_mac = ? WHERE id = ?",
        (head.seq, key.head_mac(sid, ticket_id, head.seq, head.hash), ticket_id),
    )
    return checkpoint(key, sid, ticket_id, head.seq, head.hash)


def sealed(conn: sqlite3.Connection, tickets: Iterable[Ticket]) -> list[SealedTicket]:
    out = []
    for t in tickets:
        macs = dict(conn.execute("SELECT seq, mac FROM event_seals WHERE ticket_id = ?", (t.id,)).fetchall())
        head = conn.execute("SELECT head_seq, head_mac FROM tickets WHERE id = ?", (t.id,)).fetchone()
        out.append(
            SealedTicket(
                ticket=t,
                macs=tuple(macs.get(e.seq) for e in t.events),
                head_seq=head[0] if head else None,
                head_mac=head[1] if head else None,
            )
        )
    return out
