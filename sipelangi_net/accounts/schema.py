"""The account tables' schema: their own migrations, versioned by their own row of ``schema_components``.

The ticket store versions its tables with SQLite's ``PRAGMA user_version``
(``tickets/sqlite.py``). The account tables live in the same file but keep their version in a
row of their own (``schema_components``: ``accounts``, N), so neither schema's migrations
renumber or wait for the other's, either store may open a file first, and a ticket database
made before accounts existed gains the account tables on first use with nothing else changed.
"""

from __future__ import annotations

import sqlite3

from sipelangi_net.errors import StoreError

COMPONENT = "accounts"
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: accounts, delegations, API tokens (SHA-256 digests), failed logins
    (
        """CREATE TABLE accounts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            opd TEXT,
            sites TEXT NOT NULL DEFAULT '[]',
            disabled INTEGER NOT NULL DEFAULT 0,
            local INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            password_hash TEXT,
            password_changed_at TEXT
        )""",
        """CREATE TABLE account_delegations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            acting_as TEXT NOT NULL,
            kind TEXT NOT NULL,
            starts TEXT NOT NULL,
            ends TEXT NOT NULL,
            decree TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )""",
        """CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            name TEXT NOT NULL,
            digest TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        )""",
        """CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            username TEXT NOT NULL,
            at TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX login_failures_by_user ON login_failures (username, at)",
        "CREATE INDEX api_tokens_by_account ON api_tokens (account_id)",
    ),
    # 2: the pages' sessions (sipelangi_net.accounts.sessions): the SHA-256 of the cookie's id, the
    # account, the expiry, the CSRF secret of the session's forms
    (
        """CREATE TABLE web_sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            digest TEXT NOT NULL UNIQUE,
            csrf TEXT NOT NULL,
            remember INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""",
        "CREATE INDEX web_sessions_by_account ON web_sessions (account_id)",
    ),
    # 3: the requesters' satisfaction survey after closing (sipelangi_net.accounts.surveys): one
    # answer per ticket, by a pemohon of its OPD
    (
        """CREATE TABLE surveys (
            ticket_id TEXT PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            opd TEXT NOT NULL,
            speed INTEGER NOT NULL CHECK (speed BETWEEN 1 AND 5),
            quality INTEGER NOT NULL CHECK (quality BETWEEN 1 AND 5),
            helpdesk INTEGER NOT NULL CHECK (helpdesk BETWEEN 1 AND 5),
            comment TEXT NOT NULL DEFAULT '',
            answered_at TEXT NOT NULL
        )""",
        "CREATE INDEX surveys_answered ON surveys (answered_at)",
    ),
    # 4: the pemohon's agreement to the berita acara before step 9 (sipelangi_net.accounts.cosigns):
    # one per ticket, with the ticket's last event hash it was given on
    (
        """CREATE TABLE cosigns (
            ticket_id TEXT PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            name TEXT NOT NULL,
            nip TEXT NOT NULL CHECK (length(nip) = 18),
            head TEXT NOT NULL,
            signed_at TEXT NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def current(conn: sqlite3.Connection) -> bool:
    """Whether the account tables are at :data:`SCHEMA_VERSION` already (read, no lock taken)."""
    known = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_components'")
    if known.fetchone() is None:
        return False
    row = conn.execute("SELECT version FROM schema_components WHERE name = ?", (COMPONENT,)).fetchone()
    return row is not None and int(row[0]) == SCHEMA_VERSION


def migrate(conn: sqlite3.Connection, *, where: str) -> None:
    """Bring the account tables to :data:`SCHEMA_VERSION`; run inside a write transaction.

    StoreError when the file's account tables are newer than this program.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_components (name TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    row = conn.execute("SELECT version FROM schema_components WHERE name = ?", (COMPONENT,)).fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{where}: the account tables are at version {version}, newer than this"
            f" sipelangi-net ({SCHEMA_VERSION}); upgrade sipelangi-net"
        )
    for number in range(version, SCHEMA_VERSION):
        for statement in MIGRATIONS[number]:
            conn.execute(statement)
    conn.execute(
        "INSERT INTO schema_components (name, version) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET version = excluded.version",
        (COMPONENT, SCHEMA_VERSION),
    )
