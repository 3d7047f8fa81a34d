"""The server's side of the ticket store: one store, one request at a time, its errors as API errors.

The store is opened once, on first use, and used by one request at a time
(FastAPI runs the sync endpoints in a thread pool; a lock serialises them). A
stored ticket that cannot be served is left out of a listing and named in the
``Sipelangi-Skipped`` header, never a 500 for all.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, TypeVar

from fastapi import Request as HttpRequest
from fastapi.responses import Response

from sipelangi_net.errors import (
    Busy,
    ConfigError,
    ConflictError,
    Forbidden,
    InventoryError,
    LeaseLost,
    SipelangiError,
    SlotTaken,
    StoreError,
    TicketNotFound,
    WorkflowError,
)
from sipelangi_net.faults.records import FaultRecords
from sipelangi_net.inventory import Inventory
from sipelangi_net.server.errors import INTERNAL, UNAVAILABLE, ApiError
from sipelangi_net.server.guard import MAX_DEPTH, json_depth
from sipelangi_net.tickets.listing import TicketPage, TicketQuery
from sipelangi_net.tickets.models import Move, Request, Ticket
from sipelangi_net.tickets.policy import Actor
from sipelangi_net.tickets.sla import EventTime
from sipelangi_net.tickets.store import TicketStore

if TYPE_CHECKING:
    from sipelangi_net.compliance.faults import Fault

logger = logging.getLogger(__name__)

SKIPPED_HEADER = "Sipelangi-Skipped"
T = TypeVar("T")


class ServedStore(TicketStore, Protocol):
    """A ticket store the server can serve: one that lists a page at a time and records as an account."""

    def create(self, request: Request, *, helpdesk: str, account: Actor | None = None) -> Ticket: ...

    def apply(self, ticket_id: str, move: Move, *, account: Actor | None = None) -> Ticket: ...

    def page(
        self, query: TicketQuery, *, after: str | None, limit: int, newest: bool = False
    ) -> TicketPage: ...

    def event_times(
        self,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after: int = 0,
        upto: int | None = None,
    ) -> list[EventTime]: ...

    def events_version(self) -> int: ...

    def active_tickets(self, *, since: dt.datetime, until: dt.datetime) -> list[Ticket]: ...

    def open_faults(self) -> list[Fault]: ...

    @property
    def faults(self) -> FaultRecords:
        """The fault tickets kept beside the tickets (issue 19)."""
        ...


StoreFactory = Callable[[], ServedStore]
InventoryLoader = Callable[[], Inventory]


class StoreHolder:
    """The store ``factory`` makes, opened on first use and used under a lock."""

    def __init__(self, factory: StoreFactory) -> None:
        self._factory = factory
        self._store: ServedStore | None = None
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[ServedStore]:
        with self._lock:
            if self._store is None:
                self._store = self._factory()
            yield self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


# Store errors → (HTTP status, code); the first matching class wins.
_ERROR_STATUS: tuple[tuple[type[SipelangiError], int, str], ...] = (
    (TicketNotFound, 404, "not_found"),
    (Forbidden, 403, "forbidden"),
    (WorkflowError, 409, "workflow"),
    (LeaseLost, 409, "lost"),
    (Busy, 409, "busy"),
    (SlotTaken, 409, "slot_taken"),
    (ConflictError, 409, "conflict"),
    (ConfigError, 422, "invalid"),
)


def run(request: HttpRequest, action: Callable[[ServedStore], T], *, missing: str | None = None) -> T:
    """Run ``action`` on the store; turn store errors into API errors (``missing``: the 404 message)."""
    holder: StoreHolder = request.app.state.store
    try:
        with holder.use() as store:
            return action(store)
    except ApiError:
        raise
    except StoreError as exc:
        if missing and str(exc).endswith("not found"):
            raise ApiError(404, "not_found", missing) from None
        logger.warning("%s %s: ticket store: %s", request.method, request.url.path, exc)
        raise ApiError(503, "unavailable", UNAVAILABLE) from None
    except SipelangiError as exc:
        for cls, status, code in _ERROR_STATUS:
            if isinstance(exc, cls):
                message = missing if cls is TicketNotFound and missing else str(exc)
                raise ApiError(status, code, message) from None
        logger.error("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        raise ApiError(500, "internal", INTERNAL) from None
    except Exception:
        logger.exception("%s %s failed", request.method, request.url.path)
        raise ApiError(500, "internal", INTERNAL) from None


def inventory(request: HttpRequest) -> Inventory:
    """The server's inventory (503 when it cannot be read)."""
    loader: InventoryLoader = request.app.state.inventory
    try:
        return loader()
    except InventoryError as exc:
        logger.error("%s %s: the server's inventory: %s", request.method, request.url.path, exc)
        raise ApiError(
            503, "unavailable", "the server's inventory cannot be read (see the server log)"
        ) from None


# --- serving stored tickets -------------------------------------------------------
def ticket_json(ticket: Ticket) -> str | None:
    """``ticket`` as JSON, or ``None`` (logged) when its stored record cannot be served within the bounds."""
    for event in ticket.events:  # a move's body is one level, its outputs the next ones
        if json_depth(event.outputs, stop=MAX_DEPTH) > MAX_DEPTH - 1:
            logger.error(
                "ticket %s: event %s: outputs nested deeper than the API accepts", ticket.id, event.seq
            )
            return None
    try:
        return ticket.model_dump_json()
    except (ValueError, RecursionError) as exc:  # pydantic's serialisation errors are ValueErrors
        logger.error("ticket %s: stored record cannot be served: %s", ticket.id, exc)
        return None


def tickets_json(tickets: list[Ticket]) -> tuple[str, list[str]]:
    """A JSON array of ``tickets`` and the ids of those left out because they cannot be served."""
    parts, skipped = [], []
    for ticket in tickets:
        text = ticket_json(ticket)
        if text is None:
            skipped.append(ticket.id)
        else:
            parts.append(text)
    return "[" + ",".join(parts) + "]", skipped


def tickets_response(tickets: list[Ticket], *, status: int = 200) -> Response:
    """A JSON list of ``tickets``; one that cannot be served is left out and named in a header."""
    text, skipped = tickets_json(tickets)
    headers = {SKIPPED_HEADER: ", ".join(skipped)} if skipped else None
    return Response(text, status_code=status, media_type="application/json", headers=headers)


def ticket_response(ticket: Ticket, *, status: int = 200) -> Response:
    text = ticket_json(ticket)
    if text is None:
        raise ApiError(
            500, "unreadable", f"ticket {ticket.id}: its stored record cannot be served (see the server log)"
        )
    return Response(text, status_code=status, media_type="application/json")
