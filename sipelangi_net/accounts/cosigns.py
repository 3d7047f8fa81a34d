"""The pemohon's agreement to the berita acara (table ``cosigns``, accounts schema 4).

Once the bandwidth test passed (step 8), a pemohon of the ticket's OPD reads the draft berita acara
on the ticket's page and agrees to it with their name and NIP, once per ticket; the agreement keeps
the hash of the ticket's last event then, so it says which installation and test it was given on.
The Tim Kerja's form for step 9 takes the pemohon's name and NIP from it; the signed paper (its
scan) stays what step 9 records.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass

from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.errors import StoreError
from sipelangi_net.tickets.sqlite import immediate


class AlreadyAgreed(StoreError):
    """The ticket's berita acara was agreed to already: once per ticket."""


@dataclass(frozen=True, slots=True)
class Cosign:
    """A pemohon's agreement to a ticket's berita acara."""

    ticket_id: str
    name: str
    nip: str
    head: str
    """The ticket's last event hash when it was given."""
    signed_at: dt.datetime


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


class Cosigns:
    """The agreements over the accounts' database (one connection, locked)."""

    def __init__(self, accounts: SqliteAccounts) -> None:
        self.accounts = accounts
        self._lock = threading.Lock()

    def of(self, ticket_id: str) -> Cosign | None:
        """The ticket's agreement; None when there is none, or its row cannot be read (logged by no one:
        the form then asks for the name and NIP again)."""
        with self._lock:
            row = self.accounts.conn.execute(
                "SELECT name, nip, head, signed_at FROM cosigns WHERE ticket_id = ?", (ticket_id,)
            ).fetchone()
        if row is None:
            return None
        try:
            return Cosign(ticket_id, str(row[0]), str(row[1]), str(row[2]), dt.datetime.fromisoformat(row[3]))
        except (TypeError, ValueError):
            return None

    def record(self, cosign: Cosign, *, account_id: int) -> None:
        """Store ``cosign``; AlreadyAgreed when the ticket has one (nothing changed)."""
        with self._lock, immediate(self.accounts.conn, where=f"{self.accounts.path}: ") as conn:
            try:
                conn.execute(
                    "INSERT INTO cosigns (ticket_id, account_id, name, nip, head, signed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        cosign.ticket_id,
                        account_id,
                        cosign.name,
                        cosign.nip,
                        cosign.head,
                        _ts(cosign.signed_at),
                    ),
                )
            except sqlite3.IntegrityError:
                raise AlreadyAgreed(
                    f"ticket {cosign.ticket_id}: the berita acara is agreed to already"
                ) from None

    def close(self) -> None:
        with self._lock:
            self.accounts.close()
