"""The SiPelangi ticket API: HTTP + JSON over any ticket store (the contract is ``docs/openapi.yaml``).

SiPelangi publishes no API, so this module defines one and serves it
(``sipelangi-net serve``); :class:`~sipelangi_net.tickets.http.HttpStore` is
its client. Every path under ``/api/v1`` needs ``Authorization: Bearer
<token>`` except ``/api/v1/health``. The token is checked before the request
body is read, by a small ASGI guard; the same check is declared as a FastAPI
security dependency so that the OpenAPI document says so.

Errors are JSON ``{"error": "<message>", "code": "<code>"}``: 401
``unauthorized``, 404 ``not_found`` (``no_route`` for an unknown path), 409
``workflow`` or ``conflict``, 413 ``too_large``, 422 ``invalid`` (the message
names the field), 405 ``method_not_allowed`` (with the path's real ``Allow``),
503 ``unavailable``, 500 ``internal``. Tracebacks and server paths never reach
a response; they go to the log.

Bodies are bounded before FastAPI sees them (:mod:`~sipelangi_net.tickets.guard`:
size counted on the stream, JSON without NaN/Infinity, nesting depth); path and
query values carry the constraints the contract declares (ticket id pattern,
notification ids within SQLite's int64, date-times with a zone, known
statuses); a new ticket's site and applications must be in the inventory, as
on the command line. A stored ticket that cannot be served is left out of a
listing and named in the ``Sipelangi-Skipped`` header, never a 500 for all.

The store is opened once, on first use, and used by one request at a time
(FastAPI runs the sync endpoints in a thread pool; a lock serialises them).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
import re
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi import Path as PathParam
from fastapi import Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException

from sipelangi_net.errors import (
    ConfigError,
    ConflictError,
    InventoryError,
    SipelangiError,
    StoreError,
    TicketNotFound,
    WorkflowError,
)
from sipelangi_net.inventory import Inventory
from sipelangi_net.tickets.guard import (
    CHALLENGE,
    MAX_BODY,
    MAX_DEPTH,
    UNAUTHORIZED,
    Guard,
    error_response,
    json_depth,
)
from sipelangi_net.tickets.intake import check_catalogues
from sipelangi_net.tickets.models import Move, Notification, Request, RequiredText, Ticket, TicketId
from sipelangi_net.tickets.sop import STATUSES
from sipelangi_net.tickets.store import TicketStore
from sipelangi_net.validate import printable

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
HEALTH_PATH = f"{API_PREFIX}/health"
API_VERSION = "1.0.0"
DEFAULT_PORT = 8700
MIN_TOKEN_LENGTH = 16
MAX_ID = 2**63 - 1  # SQLite's INTEGER
SKIPPED_HEADER = "Sipelangi-Skipped"
T = TypeVar("T")

StoreFactory = Callable[[], TicketStore]
InventoryLoader = Callable[[], Inventory]

# --- path and query values: what the contract declares, nothing looser ---------------------
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:[Zz]|[+-]\d\d:\d\d)")


def _rfc3339(value: object) -> object:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("expected a date-time with a zone, e.g. 2026-11-28T09:30:00+07:00")


def _known_status(value: str) -> str:
    if value not in STATUSES:
        raise ValueError(f"unknown status (statuses: {', '.join(STATUSES)})")
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_rfc3339)]
Status = Annotated[
    str, AfterValidator(_known_status), WithJsonSchema({"type": "string", "enum": list(STATUSES)})
]
NotificationId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="The notification's id.")]
TicketPath = Annotated[TicketId, PathParam(description="The ticket id, e.g. SPL-2026-00001.")]


# --- wire models ----------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NewTicket(_Body):
    """Open a ticket (SOP steps 1 and 2)."""

    request: Request
    helpdesk: RequiredText = Field(description="The helpdesk officer who forwards it to the Kepala Dinas.")


class Delivery(_Body):
    """One delivery attempt of a notification."""

    ok: Annotated[bool, Field(strict=True)]
    error: str = Field(default="", max_length=2000)


class RetryFailed(_Body):
    """Make failed notifications pending again (all, or one ticket's)."""

    ticket_id: TicketId | None = None


class Retried(_Body):
    retried: int


class Health(_Body):
    status: str


class ApiErrorBody(_Body):
    error: str
    code: str


class ApiError(Exception):
    """An error response: status, machine-readable code, and a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="The server's token (sipelangi-net serve --token-file, or SIPELANGI_TOKEN).",
)


def _authorize(
    request: HttpRequest, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Declares bearer auth in the OpenAPI document (the guard has already enforced it)."""
    token: str = request.app.state.token
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise ApiError(*UNAUTHORIZED)


def _known_query(request: HttpRequest) -> None:
    """Refuse a query parameter the operation does not declare (``?stauts=closed`` would list all)."""
    route = request.scope.get("route")
    known = {p.alias for p in route.dependant.query_params} if isinstance(route, APIRoute) else set()
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        listed = f" (parameters: {', '.join(sorted(known))})" if known else ""
        raise ApiError(422, "invalid", f"query parameter {printable(unknown[0])!r}: not known here{listed}")


# --- the store, one request at a time ---------------------------------------------------
class _StoreHolder:
    def __init__(self, factory: StoreFactory) -> None:
        self._factory = factory
        self._store: TicketStore | None = None
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[TicketStore]:
        with self._lock:
            if self._store is None:
                self._store = self._factory()
            yield self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


_UNAVAILABLE = "the ticket store is unavailable (details are in the server log); retry later"
_INTERNAL = "internal server error (details are in the server log)"

# Store errors → (HTTP status, code); the first matching class wins.
_ERROR_STATUS: tuple[tuple[type[SipelangiError], int, str], ...] = (
    (TicketNotFound, 404, "not_found"),
    (WorkflowError, 409, "workflow"),
    (ConflictError, 409, "conflict"),
    (ConfigError, 422, "invalid"),
)


def _run(request: HttpRequest, action: Callable[[TicketStore], T], *, missing: str | None = None) -> T:
    """Run ``action`` on the store; turn store errors into API errors (``missing``: the 404 message)."""
    holder: _StoreHolder = request.app.state.store
    try:
        with holder.use() as store:
            return action(store)
    except ApiError:
        raise
    except StoreError as exc:
        if missing and str(exc).endswith("not found"):
            raise ApiError(404, "not_found", missing) from None
        logger.warning("%s %s: ticket store: %s", request.method, request.url.path, exc)
        raise ApiError(503, "unavailable", _UNAVAILABLE) from None
    except SipelangiError as exc:
        for cls, status, code in _ERROR_STATUS:
            if isinstance(exc, cls):
                message = missing if cls is TicketNotFound and missing else str(exc)
                raise ApiError(status, code, message) from None
        logger.error("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        raise ApiError(500, "internal", _INTERNAL) from None
    except Exception:
        logger.exception("%s %s failed", request.method, request.url.path)
        raise ApiError(500, "internal", _INTERNAL) from None


# --- serving stored tickets -------------------------------------------------------
def _ticket_json(ticket: Ticket) -> str | None:
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


def tickets_response(tickets: list[Ticket], *, status: int = 200) -> Response:
    """A JSON list of ``tickets``; one that cannot be served is left out and named in a header."""
    parts, skipped = [], []
    for ticket in tickets:
        text = _ticket_json(ticket)
        if text is None:
            skipped.append(ticket.id)
        else:
            parts.append(text)
    headers = {SKIPPED_HEADER: ", ".join(skipped)} if skipped else None
    return Response(
        "[" + ",".join(parts) + "]", status_code=status, media_type="application/json", headers=headers
    )


def _ticket_response(ticket: Ticket, *, status: int = 200) -> Response:
    text = _ticket_json(ticket)
    if text is None:
        raise ApiError(
            500, "unreadable", f"ticket {ticket.id}: its stored record cannot be served (see the server log)"
        )
    return Response(text, status_code=status, media_type="application/json")


# --- endpoints -------------------------------------------------------------------
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ApiErrorBody, "description": "Missing or wrong bearer token"},
    413: {"model": ApiErrorBody, "description": f"Request body larger than {MAX_BODY // 1024} KiB"},
    422: {
        "model": ApiErrorBody,
        "description": (
            "Invalid input; the message names the field. Also: a body that is not UTF-8 JSON, holds"
            f" NaN or Infinity, or nests deeper than {MAX_DEPTH} levels; a query parameter the"
            " operation does not declare; a site or application the server's inventory does not know."
        ),
    },
    503: {"model": ApiErrorBody, "description": "The ticket store is unavailable; retry later"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ApiErrorBody, "description": "No such ticket"}}
_REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": ApiErrorBody, "description": "The SOP does not allow this move now; the message says why"}
}
_SKIPPED: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            SKIPPED_HEADER: {
                "description": (
                    "Tickets left out of the list because their stored record cannot be served"
                    " (comma-separated ids; details in the server log)."
                ),
                "schema": {"type": "string"},
            }
        }
    }
}

router = APIRouter(
    prefix=API_PREFIX, dependencies=[Depends(_authorize), Depends(_known_query)], responses=_ERRORS
)
public = APIRouter(prefix=API_PREFIX)


@public.get("/health", response_model=Health, tags=["health"])
def health() -> Health:
    """Liveness check; the only path that needs no token."""
    return Health(status="ok")


ANALYSIS_STEP = 4


def _inventory(request: HttpRequest) -> Inventory:
    loader: InventoryLoader = request.app.state.inventory
    try:
        return loader()
    except InventoryError as exc:
        logger.error("%s %s: the server's inventory: %s", request.method, request.url.path, exc)
        raise ApiError(
            503, "unavailable", "the server's inventory cannot be read (see the server log)"
        ) from None


@router.post("/tickets", status_code=201, response_model=Ticket, tags=["tickets"], responses=_REFUSED)
def create_ticket(request: HttpRequest, body: NewTicket) -> Response:
    """Open a ticket: records SOP steps 1 (request) and 2 (forwarded to the Kepala Dinas).

    The site and the applications must be in the server's inventory (422 otherwise).
    """
    inventory = _inventory(request)

    def action(store: TicketStore) -> Ticket:
        check_catalogues(body.request, inventory, source="request")
        return store.create(body.request, helpdesk=body.helpdesk)

    return _ticket_response(_run(request, action), status=201)


@router.get("/tickets", response_model=list[Ticket], tags=["tickets"], responses=_SKIPPED)
def list_tickets(
    request: HttpRequest,
    status: Annotated[Status | None, Query(description="Only tickets with this status.")] = None,
    since: Annotated[Instant | None, Query(description="Created at or after (ISO 8601, with zone).")] = None,
    until: Annotated[Instant | None, Query(description="Created before (ISO 8601, with zone).")] = None,
) -> Response:
    """Tickets created in [since, until), oldest first."""
    return tickets_response(_run(request, lambda s: s.tickets(status=status, since=since, until=until)))


@router.get("/tickets/{ticket_id}", response_model=Ticket, tags=["tickets"], responses=_NOT_FOUND)
def get_ticket(request: HttpRequest, ticket_id: TicketPath) -> Response:
    """One ticket with all its hash-chained events."""
    return _ticket_response(
        _run(request, lambda s: s.get(ticket_id), missing=f"ticket {ticket_id}: not found")
    )


@router.post(
    "/tickets/{ticket_id}/events",
    status_code=201,
    response_model=Ticket,
    tags=["tickets"],
    responses={**_NOT_FOUND, **_REFUSED},
)
def add_event(request: HttpRequest, ticket_id: TicketPath, move: Move) -> Response:
    """Record one SOP step (checked against the SOP and the step's outputs schema); returns the
    updated ticket. A plan (step 4) must name the server's inventory's devices and ports (422)."""
    inventory = _inventory(request) if move.step == ANALYSIS_STEP and "plan" in move.outputs else None

    def action(store: TicketStore) -> Ticket:
        if inventory is not None:
            _check_plan(ticket_id, move, inventory)
        return store.apply(ticket_id, move)

    ticket = _run(request, action, missing=f"ticket {ticket_id}: not found")
    return _ticket_response(ticket, status=201)


def _check_plan(ticket_id: str, move: Move, inventory: Inventory) -> None:
    """The plan of a step-4 move fits its schema and the inventory, as before any rendering."""
    from sipelangi_net.change.render import check_in_inventory
    from sipelangi_net.tickets.outputs import Analysed, check_outputs

    checked = Analysed.model_validate(check_outputs(ticket_id, move.step, move.outcome, move.outputs))
    if checked.plan is not None:
        check_in_inventory(checked.plan, inventory)


@router.get("/notifications", response_model=list[Notification], tags=["notifications"])
def list_notifications(
    request: HttpRequest,
    due: Annotated[Instant | None, Query(description="Only pending ones due by then.")] = None,
    ticket_id: Annotated[TicketId | None, Query(description="Only this ticket's.")] = None,
) -> list[Notification]:
    """The outbox: notifications not yet sent."""
    return _run(request, lambda s: s.outbox(due=due, ticket_id=ticket_id))


@router.post(
    "/notifications/{notification_id}/delivery",
    response_model=Notification,
    tags=["notifications"],
    responses={404: {"model": ApiErrorBody, "description": "No such notification"}},
)
def record_delivery(request: HttpRequest, notification_id: NotificationId, body: Delivery) -> Notification:
    """Record one delivery attempt; failures are retried later with backoff."""
    return _run(
        request,
        lambda s: s.record_delivery(notification_id, ok=body.ok, error=body.error),
        missing=f"notification {notification_id}: not found",
    )


@router.post("/notifications/retry", response_model=Retried, tags=["notifications"])
def retry_failed(request: HttpRequest, body: RetryFailed) -> Retried:
    """Make failed notifications pending again; returns how many."""

    def action(store: TicketStore) -> int:
        retry = getattr(store, "retry_failed", None)
        if retry is None:
            raise ApiError(501, "unsupported", "this ticket store cannot retry notifications")
        count: int = retry(body.ticket_id)
        return count

    return Retried(retried=_run(request, action))


# --- error responses ----------------------------------------------------------------
def _field_errors(exc: RequestValidationError) -> str:
    """``where: what`` for each error, without echoing the input (it may be personal data)."""
    parts = []
    for err in list(exc.errors())[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        source, path = (loc[0], loc[1:]) if loc else ("body", [])
        if err.get("type") == "json_invalid":
            parts.append(f"the body is not valid JSON: {err.get('ctx', {}).get('error', '')}".rstrip(": "))
            continue
        where = ".".join(path) or source
        if source == "query":
            where = f"query parameter {where}"
        elif source == "path":
            where = f"path parameter {where}"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts) or "invalid request"


async def _on_api_error(request: HttpRequest, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = CHALLENGE if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, headers=headers)


async def _on_validation(request: HttpRequest, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid", _field_errors(exc))


def _allowed_methods(request: HttpRequest) -> str:
    """The methods the contract lists for this path (Starlette's own ``Allow`` names one route's only)."""
    path = request.url.path
    for template, operations in request.app.openapi()["paths"].items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return ", ".join(sorted(method.upper() for method in operations))
    return ""


async def _on_http(request: HttpRequest, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(404, "no_route", f"no such API path: {request.url.path}")
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        message = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})"
        return error_response(405, "method_not_allowed", message, headers={"Allow": allowed})
    return error_response(exc.status_code, "http", str(exc.detail), headers=exc.headers)


# --- the application ----------------------------------------------------------------
def _operation_id(route: APIRoute) -> str:
    return route.name


def _default_inventory() -> InventoryLoader:
    """The inventory of ``paths.inventory_dir()``, loaded on first use and kept."""
    from functools import cache

    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir

    return cache(lambda: load_inventory(inventory_dir()))


def create_app(
    store_factory: StoreFactory, *, token: str, inventory: InventoryLoader | None = None
) -> FastAPI:
    """The API over the store ``store_factory`` makes (opened on first use, closed at shutdown).

    ``inventory`` gives the sites and applications a new ticket may name
    (default: the inventory directory, read on first use).
    """
    holder = _StoreHolder(store_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            holder.close()

    app = FastAPI(
        title="SiPelangi ticket API",
        version=API_VERSION,
        summary="Tickets and events of the SOP Pemanfaatan Jaringan Intra Pemerintah (Pangkalpinang).",
        description=(
            "Served by `sipelangi-net serve` on loopback; spoken by the toolkit's HTTP store adapter."
            " Every path except /api/v1/health needs `Authorization: Bearer <token>`. Errors are"
            ' `{"error": message, "code": code}`. Times are ISO 8601 with a zone and microseconds;'
            " tickets round-trip exactly, so their hash chains verify on the client."
        ),
        servers=[{"url": f"http://127.0.0.1:{DEFAULT_PORT}", "description": "sipelangi-net serve"}],
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.token = token
    app.state.store = holder
    app.state.inventory = inventory or _default_inventory()
    app.include_router(public)
    app.include_router(router)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_middleware(Guard, token=token, open_paths=frozenset({HEALTH_PATH}))
    return app


def openapi_yaml() -> str:
    """The contract file ``docs/openapi.yaml`` as ``create_app`` describes it now."""
    import yaml

    def no_store() -> TicketStore:
        raise StoreError("no store: this app only describes the API")

    app = create_app(no_store, token="x" * MIN_TOKEN_LENGTH)
    header = (
        "# The SiPelangi ticket API contract (served by `sipelangi-net serve`, spoken by HttpStore).\n"
        "# Generated from sipelangi_net.tickets.server.create_app by scripts/gen_openapi.py; do not edit.\n"
        "# tests/unit/test_http_store.py fails when this file and the code disagree.\n"
    )
    return header + yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)


# --- serving -------------------------------------------------------------------
def _check_host(host: str, *, allow_remote: bool) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise ConfigError(
            f"{host}: not a loopback address; the ticket API holds personal data and serves plain HTTP,"
            " so it listens on 127.0.0.1 unless you pass --allow-remote (put TLS in front of it)"
        )


def _listen(host: str, port: int) -> socket.socket:
    address = "127.0.0.1" if host == "localhost" else host
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"{address}:{port}: cannot listen: {exc.strerror or exc}") from None
    return sock


def serve(
    db: Path,
    host: str,
    port: int,
    token: str,
    *,
    allow_remote: bool = False,
    inventory: Path | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the API over the SQLite store ``db`` until SIGINT/SIGTERM (``announce``: told the URL).

    ``inventory`` (default: ``paths.inventory_dir()``) is read once, now: new
    tickets must name its sites and applications; restart to pick up edits.
    """
    import uvicorn

    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.logs import register_secret
    from sipelangi_net.paths import inventory_dir
    from sipelangi_net.tickets.sqlite import SqliteStore

    _check_host(host, allow_remote=allow_remote)
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"the API token is too short ({len(token)} characters; use at least {MIN_TOKEN_LENGTH})"
        )
    register_secret(token)
    known = load_inventory(inventory or inventory_dir())
    probe = SqliteStore(db)  # fail now, not on the first request, when the database cannot be opened
    try:
        _ = probe.conn
    finally:
        probe.close()
    app = create_app(lambda: SqliteStore(db), token=token, inventory=lambda: known)
    sock = _listen(host, port)
    try:
        bound = sock.getsockname()
        name = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, server_header=False, lifespan="on"
        )
        server = uvicorn.Server(config)
        if announce is not None:
            announce(f"http://{name}:{bound[1]}{API_PREFIX}")
        server.run(sockets=[sock])
    finally:
        sock.close()
    if not server.started:
        raise StoreError(f"the ticket API on {name}:{bound[1]} did not start (see the log above)")
