"""Who is calling: bearer tokens resolved to a principal, checked before any body is read.

A :data:`TokenResolver` maps the bearer token of a request to the
:class:`Principal` it belongs to, or ``None`` when the token is not valid. The
guard (:class:`~sipelangi_net.server.guard.Guard`) calls it once per request,
before reading the body, and puts the principal in the ASGI scope's state;
:func:`authorize`, the security dependency every ``/api/v1`` route declares,
hands it to the endpoint and makes the OpenAPI document say "bearer auth".

``serve`` resolves with :func:`account_tokens`: a per-account API token
(``spl_...``, ``SqliteAccounts.authenticate_token``, a hashed lookup) is its
account; the server's own token (``--token-file``) is the *service* principal,
:data:`~sipelangi_net.tickets.policy.SYSTEM` (role ``system``): it reads tickets,
works the notification outbox and records step 12 on delivery, and the SOP
policy refuses it every step a person does (403). Nothing anonymous or shared
acts as a SOP role. A resolver must not raise for a wrong token (``None``); it
is called in the event loop, so it must be quick (no password hash).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Protocol

from fastapi import Depends
from fastapi import Request as HttpRequest
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sipelangi_net.errors import AuthError, SipelangiError, StoreError
from sipelangi_net.server.errors import UNAUTHORIZED, ApiError
from sipelangi_net.tickets.policy import SYSTEM, Actor

logger = logging.getLogger(__name__)

PRINCIPAL = "principal"
"""The key of the caller's principal in the ASGI scope's ``state``."""


Principal = Actor
"""The caller a token belongs to: an account, or the service principal (policy.SYSTEM)."""

TokenResolver = Callable[[str], Principal | None]


class AccountTokens(Protocol):
    """What the resolver needs of the accounts (``SqliteAccounts``)."""

    def authenticate_token(
        self, token: str, *, touch: Callable[[int, dt.datetime], None] | None = None
    ) -> Actor: ...


class TokenUse(Protocol):
    """Where the tokens' last use is written (``SqliteAccounts``, its own connection)."""

    def touch_tokens(self, used: Mapping[int, dt.datetime]) -> None: ...

    def close(self) -> None: ...


class LastUse:
    """Writes the tokens' ``last_used_at`` off the event loop: noted there, written by one worker thread.

    Notes arriving while a write is pending are batched into the next one (per token, the latest
    time). The store ``factory`` makes is opened, used and closed in the worker thread.
    """

    def __init__(self, factory: Callable[[], TokenUse]) -> None:
        self._factory = factory
        self._store: TokenUse | None = None
        self._pending: dict[int, dt.datetime] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="token-last-use")
        self._closed = False

    def note(self, token_id: int, at: dt.datetime) -> None:
        """Remember that the token ``token_id`` was used ``at`` (called in the event loop: no I/O)."""
        with self._lock:
            if self._closed:
                return
            first = not self._pending
            self._pending[token_id] = max(at, self._pending.get(token_id, at))
            if first:
                self._worker.submit(self._flush)

    def _flush(self) -> None:
        with self._lock:
            used, self._pending = self._pending, {}
        try:
            if self._store is None:
                self._store = self._factory()
            self._store.touch_tokens(used)
        except SipelangiError as exc:  # a busy or broken database: the last use is not worth a failure
            logger.warning("API tokens' last use not written (%d token(s)): %s", len(used), exc)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def close(self) -> None:
        """Write what is pending, then stop the worker (its store closed in its thread)."""
        with self._lock:
            self._closed = True
        self._worker.submit(self._close_store)
        self._worker.shutdown(wait=True)


def single_token(token: str) -> TokenResolver:
    """The resolver of the server's own token: the service principal ``SYSTEM`` (constant-time compare)."""
    expected = token.encode()

    def resolve(candidate: str) -> Principal | None:
        return SYSTEM if hmac.compare_digest(candidate.encode(), expected) else None

    return resolve


def account_tokens(
    accounts: AccountTokens, *, service: str | None = None, last_use: LastUse | None = None
) -> TokenResolver:
    """Per-account API tokens (an ``spl_`` token is looked up by its digest), and the server's own
    token ``service`` as the service principal; ``None`` for anything refused (logged, never the token).

    ``last_use``: where a token's last use goes to be written off the event loop (without it, the
    lookup writes it itself).
    """
    own = single_token(service) if service else None
    lock = threading.Lock()  # one SQLite connection, used from the event loop and the thread pool
    touch = last_use.note if last_use is not None else None

    def resolve(candidate: str) -> Principal | None:
        if own is not None and (principal := own(candidate)) is not None:
            return principal
        try:
            with lock:
                return accounts.authenticate_token(candidate, touch=touch)
        except AuthError as exc:
            logger.info("API token refused: %s", exc)
        except StoreError as exc:
            logger.error("API token not checked: %s", exc)
        return None

    return resolve


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (``None``: no such header)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(resolver: TokenResolver, header: str | None) -> Principal | None:
    """The principal of an ``Authorization`` header, or ``None`` (missing, malformed or refused)."""
    token = bearer_token(header)
    return None if token is None else resolver(token)


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description=(
        "An account's API token (`spl_...`, from POST /api/v1/auth/token or `sipelangi-net user token`),"
        " or the server's service token (serve --token-file), which may read and deliver notifications"
        " but does no step of a person."
    ),
)


async def authorize(  # async: it does no I/O, and a sync dependency costs a thread hop per request
    request: HttpRequest, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller (the guard has resolved the token already); declares bearer auth in the OpenAPI document."""
    principal: Principal | None = getattr(request.state, PRINCIPAL, None)
    if principal is None or credentials is None:
        raise ApiError(*UNAUTHORIZED)
    return principal


Caller = Annotated[Principal, Depends(authorize)]
"""An endpoint parameter: the authenticated caller."""
