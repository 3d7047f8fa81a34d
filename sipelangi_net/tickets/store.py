"""The ticket store protocol, and how a store is chosen.

Implementations: :class:`~sipelangi_net.tickets.sqlite.SqliteStore` (embedded,
the default) and :class:`~sipelangi_net.tickets.http.HttpStore` (any server of
the SiPelangi contract in ``docs/openapi.yaml``, e.g. ``sipelangi-net serve``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Protocol

from sipelangi_net.paths import data_dir
from sipelangi_net.tickets.models import Move, Notification, Request, Ticket


class TicketStore(Protocol):
    def create(self, request: Request, *, helpdesk: str) -> Ticket:
        """Open a ticket: records SOP steps 1 (request) and 2 (forwarded to the Kepala Dinas)."""
        ...

    def get(self, ticket_id: str) -> Ticket: ...

    def tickets(
        self, *, status: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Ticket]:
        """Tickets created in [since, until), oldest first, optionally with one status."""
        ...

    def apply(self, ticket_id: str, move: Move) -> Ticket:
        """Check ``move`` against the SOP and append its event atomically; enqueue notifications."""
        ...

    def outbox(self, *, due: dt.datetime | None = None, ticket_id: str | None = None) -> list[Notification]:
        """Notifications not yet sent (``due``: only those whose next attempt is due by then)."""
        ...

    def record_delivery(self, notification_id: int, *, ok: bool, error: str = "") -> Notification:
        """Mark one delivery attempt; failures are retried later with backoff."""
        ...

    def ready_to_write(self, *, wait: float) -> None:
        """StoreError (naming the store) unless it can take a write now, waiting at most ``wait`` s.

        Asked before a run changes any device, so what the devices go through can be recorded.
        """
        ...

    def close(self) -> None: ...


def default_db_path() -> Path:
    """``SIPELANGI_DB``, else the workspace's ``store`` file, else the user's data folder."""
    env = os.environ.get("SIPELANGI_DB")
    if env:
        return Path(env)
    from sipelangi_net.workspace import store_location

    own = store_location()
    if own and not own.startswith(("http://", "https://")):
        return Path(own)
    return data_dir() / "tickets.db"


def configured_location() -> str:
    """The store named by the environment or the workspace ('' for :func:`default_db_path`).

    ``SIPELANGI_STORE``; else, unless ``SIPELANGI_DB`` names a file, the server URL the workspace
    gives as its ``store`` (``sipelangi-net.yaml``, docs/workspace.md).
    """
    from sipelangi_net.workspace import store_location

    env = os.environ.get("SIPELANGI_STORE", "")
    if env or os.environ.get("SIPELANGI_DB"):
        return env
    own = store_location()
    return own if own.startswith(("http://", "https://")) else ""


def open_store(location: str | Path | None = None, *, token: str | None = None) -> TicketStore:
    """``http(s)://...`` → the HTTP adapter; anything else is a SQLite file path."""
    loc = str(location) if location is not None else configured_location()
    if loc.startswith(("http://", "https://")):
        from sipelangi_net.tickets.http import HttpStore

        return HttpStore(loc, token=token or os.environ.get("SIPELANGI_TOKEN"))
    from sipelangi_net.tickets.sqlite import SqliteStore

    return SqliteStore(Path(loc) if loc else default_db_path())
