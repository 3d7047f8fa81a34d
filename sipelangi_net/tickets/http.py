"""The HTTP ticket store: a client of the SiPelangi ticket API (``docs/openapi.yaml``).

It talks to any server of that contract (``sipelangi-net serve`` is one) and
behaves like :class:`~sipelangi_net.tickets.sqlite.SqliteStore`: the same
methods, the same errors (the server's SOP messages pass through unchanged),
and tickets that round-trip exactly, so their hash chains verify here.

Nothing is sent before the first call; the connection is reused until
:meth:`HttpStore.close`. Nothing is retried: a write that timed out may or may
not have been recorded, and the error says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import TypeAdapter, ValidationError

from sipelangi_net import __version__
from sipelangi_net.accounts.credentials import credentials_path, stored_token
from sipelangi_net.accounts.transport import refuse_plain_http
from sipelangi_net.errors import (
    AuthError,
    Busy,
    ConfigError,
    ConflictError,
    Forbidden,
    LeaseLost,
    RequestError,
    SecretsError,
    SlotTaken,
    StoreError,
    TicketNotFound,
    WorkflowError,
)
from sipelangi_net.tickets.leases import Lease
from sipelangi_net.tickets.models import Move, Notification, Request, Ticket

if TYPE_CHECKING:
    from sipelangi_net.accounts.models import Whoami

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
SKIPPED_HEADER = "Sipelangi-Skipped"
TIMEOUT_S = 10.0
TICKET_ID = re.compile(r"^SPL-\d{4}-\d{5}$")
T = TypeVar("T")

_TICKETS: TypeAdapter[list[Ticket]] = TypeAdapter(list[Ticket])
_NOTIFICATIONS: TypeAdapter[list[Notification]] = TypeAdapter(list[Notification])
_LEASES: TypeAdapter[list[Lease]] = TypeAdapter(list[Lease])


def api_url(base_url: str) -> str:
    """``http://host:port`` (or a URL already ending in ``/api/v1``) → the API root URL."""
    url = base_url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range or not a number raises here
    except ValueError as exc:
        raise ConfigError(f"{base_url!r}: not a SiPelangi API URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{base_url!r}: not a SiPelangi API URL (expected e.g. http://127.0.0.1:8700)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"{base_url!r}: the API URL takes no query, fragment or credentials")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


def _when(value: dt.datetime) -> str:
    """ISO 8601 with a zone; a naive time means local time, as in the SQLite store."""
    return (value if value.tzinfo else value.astimezone()).isoformat()


class HttpStore:
    """A :class:`~sipelangi_net.tickets.store.TicketStore` over the SiPelangi ticket API.

    ``token`` ``None``: the one ``sipelangi-net login`` saved for this server. Plain ``http://``
    is refused to any host but loopback (the token would cross the network readable).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None,
        timeout: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = refuse_plain_http(api_url(base_url))
        token = token or stored_token(self.url)
        if not token:
            raise SecretsError(
                f"{self.url}: no API token; run 'sipelangi-net login {base_url}' (saved in"
                f" {credentials_path()}) or set SIPELANGI_TOKEN"
            )
        from sipelangi_net.logs import register_secret

        register_secret(token)
        self._token = token
        self.timeout = timeout
        self._transport = transport
        self._client: httpx.Client | None = None
        self._me: Whoami | None = None

    def __repr__(self) -> str:
        return f"HttpStore({self.url!r})"

    def __enter__(self) -> HttpStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.url,
                timeout=self.timeout,
                transport=self._transport,
                follow_redirects=False,
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Accept": "application/json",
                    "User-Agent": f"sipelangi-net/{__version__}",
                },
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        not_found: type[Exception] = TicketNotFound,
    ) -> Any:
        """One request; the decoded JSON answer, or the matching toolkit error."""
        try:
            response = self.client.request(method, path, json=body, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise StoreError(f"cannot reach SiPelangi at {self.url}: {exc}") from None
        except httpx.TimeoutException:
            maybe = (
                "" if method == "GET" else "; the change may have been recorded, read it back before retrying"
            )
            raise StoreError(
                f"cannot reach SiPelangi at {self.url}: no answer within {self.timeout:g} s{maybe}"
            ) from None
        except httpx.TransportError as exc:
            raise StoreError(f"cannot reach SiPelangi at {self.url}: {type(exc).__name__}: {exc}") from None
        if response.status_code == 204:  # done, nothing to answer
            return None
        if response.is_success:
            skipped = response.headers.get(SKIPPED_HEADER)
            if skipped:
                logger.warning(
                    "SiPelangi at %s left out tickets it cannot serve: %s (see the server log)",
                    self.url,
                    skipped[:500],
                )
            try:
                return response.json()
            except ValueError:
                raise StoreError(f"SiPelangi at {self.url}{path}: the answer is not JSON") from None
        raise self._error(method, path, response, not_found)

    def _error(
        self, method: str, path: str, response: httpx.Response, not_found: type[Exception]
    ) -> Exception:
        message, code = _error_of(response)
        status = response.status_code
        where = f"SiPelangi at {self.url}"
        if status in (401, 403):
            return self._refused(status, message or f"{method} {path}: refused")
        if status == 404 and code != "no_route":
            return not_found(message or f"{method} {path}: not found at {where}")
        if status == 409:
            return _CONFLICTS.get(code or "", WorkflowError)(message)
        if status == 422:
            return RequestError(f"{where} refused the input: {message}")
        if status == 404:
            return StoreError(f"{where}: {message}; is this a server of the SiPelangi ticket API contract?")
        return StoreError(f"{where}: {method} {path} failed with HTTP {status}: {message}")

    def _refused(self, status: int, message: str) -> Exception:
        """403: Forbidden with the server's message (it names the role needed); 401: AuthError saying
        how to log in again. Both exit 6."""
        if status == 403:
            return Forbidden(message)
        root = self.url.removesuffix(API_PREFIX)
        return AuthError(
            f"SiPelangi at {self.url}: token refused (HTTP 401: {message}); log in again with"
            f" 'sipelangi-net login {root}' (or set SIPELANGI_TOKEN to a valid token)"
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        not_found: type[Exception] = StoreError,
    ) -> Any:
        """One request to a path under the API root (``/accounts``...); its JSON or the toolkit error."""
        return self._call(method, path, body=body, params=params, not_found=not_found)

    def parse(self, parse: Callable[[Any], T], data: Any, what: str) -> T:
        """``parse(data)``; StoreError naming ``what`` the server sent when it does not fit."""
        return self._parse(parse, data, what)

    def me(self) -> Whoami:
        """Who the server says this client is (``GET /auth/me``): asked once, then kept."""
        from sipelangi_net.accounts.models import Whoami

        if self._me is None:
            self._me = self._parse(Whoami.model_validate, self._call("GET", "/auth/me"), "answer of /auth/me")
        return self._me

    def _parse(self, parse: Callable[[Any], T], data: Any, what: str) -> T:
        try:
            return parse(data)
        except ValidationError as exc:
            raise StoreError(
                f"SiPelangi at {self.url} sent an invalid {what}: {exc.error_count()} problem(s),"
                f" first: {'.'.join(map(str, exc.errors()[0]['loc']))}: {exc.errors()[0]['msg']}"
            ) from None

    def _ticket_path(self, ticket_id: str) -> str:
        if not TICKET_ID.fullmatch(ticket_id):
            raise TicketNotFound(f"ticket {ticket_id}: not found (ticket ids look like SPL-2026-00001)")
        return f"/tickets/{quote(ticket_id, safe='')}"

    # --- the TicketStore protocol ---------------------------------------------------------
    def create(self, request: Request, *, helpdesk: str) -> Ticket:
        body = {"request": request.model_dump(mode="json"), "helpdesk": helpdesk}
        return self._parse(Ticket.model_validate, self._call("POST", "/tickets", body=body), "ticket")

    def get(self, ticket_id: str) -> Ticket:
        data = self._call("GET", self._ticket_path(ticket_id))
        return self._parse(Ticket.model_validate, data, "ticket")

    def tickets(
        self, *, status: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Ticket]:
        params: dict[str, str] = {}
        if status:
            params["status"] = status
        if since:
            params["since"] = _when(since)
        if until:
            params["until"] = _when(until)
        out: list[Ticket] = []
        while True:  # the server answers a page at a time, with the cursor of the next one
            data = self._call("GET", "/tickets", params={**params, "limit": "200"})
            if not isinstance(data, dict) or not isinstance(data.get("next"), str | None):
                raise StoreError(f"SiPelangi at {self.url} sent an invalid ticket list: not a page")
            out += self._parse(_TICKETS.validate_python, data.get("items"), "ticket list")
            if data["next"] is None:
                return out
            params["cursor"] = data["next"]

    def apply(self, ticket_id: str, move: Move) -> Ticket:
        path = f"{self._ticket_path(ticket_id)}/events"
        data = self._call("POST", path, body=move.model_dump(mode="json"))
        return self._parse(Ticket.model_validate, data, "ticket")

    def outbox(self, *, due: dt.datetime | None = None, ticket_id: str | None = None) -> list[Notification]:
        params: dict[str, str] = {}
        if due is not None:
            params["due"] = _when(due)
        if ticket_id is not None:
            params["ticket_id"] = ticket_id
        data = self._call("GET", "/notifications", params=params)
        return self._parse(_NOTIFICATIONS.validate_python, data, "notification list")

    def record_delivery(self, notification_id: int, *, ok: bool, error: str = "") -> Notification:
        path = f"/notifications/{int(notification_id)}/delivery"
        data = self._call("POST", path, body={"ok": ok, "error": error[:2000]}, not_found=StoreError)
        return self._parse(Notification.model_validate, data, "notification")

    def ready_to_write(self, *, wait: float) -> None:
        """The server writes in its own transactions; the ticket's ``get`` before showed it answers.

        (The API has no write probe yet: a server whose database stays locked refuses the record
        afterwards.)
        """
        return None

    def retry_failed(self, ticket_id: str | None = None) -> int:
        """Make failed notifications pending again (``ticket notify --retry``); how many."""
        data = self._call("POST", "/notifications/retry", body={"ticket_id": ticket_id})
        try:
            return int(data["retried"])
        except (KeyError, TypeError, ValueError):
            raise StoreError(f"SiPelangi at {self.url} sent an invalid retry count") from None

    # --- leases (the server keeps runs on the same ticket, device or calendar apart) ---------
    def sibling(self) -> HttpStore:
        """Another client of the same server with the same token (its own connection, for a thread)."""
        return HttpStore(self.url, token=self._token, timeout=self.timeout, transport=self._transport)

    def acquire_lease(self, names: list[str], *, purpose: str, ttl_s: int, host: str, pid: int) -> Lease:
        """All of ``names`` as one lease (Busy naming the holder when one is held)."""
        body = {"names": names, "purpose": purpose[:200], "ttl_s": ttl_s, "host": host[:200], "pid": pid}
        return self._parse(Lease.model_validate, self._call("POST", "/leases", body=body), "lease")

    def renew_lease(self, lease_id: str, *, ttl_s: int) -> Lease:
        """The lease extended to ``ttl_s`` s from now (LeaseLost when it is gone)."""
        data = self._call(
            "PUT", f"/leases/{quote(lease_id, safe='')}", body={"ttl_s": ttl_s}, not_found=LeaseLost
        )
        return self._parse(Lease.model_validate, data, "lease")

    def release_lease(self, lease_id: str) -> None:
        """Give the lease up (nothing when it is no longer held)."""
        try:
            self._call("DELETE", f"/leases/{quote(lease_id, safe='')}", not_found=LeaseLost)
        except LeaseLost:
            return

    def held_leases(self) -> list[Lease]:
        """The leases the server holds now."""
        return self._parse(_LEASES.validate_python, self._call("GET", "/leases"), "lease list")


_CONFLICTS: dict[str, type[Exception]] = {
    "conflict": ConflictError,
    "busy": Busy,
    "lost": LeaseLost,
    "slot_taken": SlotTaken,
}
"""409 codes → the toolkit's errors (anything else: the SOP refused the move, WorkflowError)."""


def _error_of(response: httpx.Response) -> tuple[str, str | None]:
    """The server's ``error`` message and ``code`` (or a short excerpt of a non-JSON answer)."""
    try:
        data = response.json()
    except ValueError:
        return (response.text.strip().splitlines() or [response.reason_phrase])[0][:200], None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        code = data.get("code")
        return data["error"], code if isinstance(code, str) else None
    return response.reason_phrase, None
