"""``POST /api/v1/auth/token``: a password login that answers a new API token (no bearer needed).

The password is checked with argon2 in the thread pool (FastAPI runs this sync
endpoint there), never in the event loop. Failed logins are counted per
username by the accounts (``SqliteAccounts.authenticate``); past the limit the
answer is 429 without checking the password. Every attempt is logged with the
username, the source address and the outcome, never the password or the token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from fastapi import APIRouter, Depends
from fastapi import Request as HttpRequest

from sipelangi_net.errors import AccountError, AuthError, LoginThrottled, StoreError
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.models import ApiErrorBody, IssuedTokenBody, LoginBody
from sipelangi_net.server.routes import API_PREFIX, ERRORS, known_query
from sipelangi_net.validate import printable

logger = logging.getLogger(__name__)

LOGIN_PATH = f"{API_PREFIX}/auth/token"
TOKEN_DAYS = 90


class _Issued(Protocol):
    @property
    def token(self) -> str: ...
    @property
    def info(self) -> _Expiring: ...


class _Expiring(Protocol):
    @property
    def expires_at(self) -> object: ...


class Logins(Protocol):
    """What the login needs of the accounts (``SqliteAccounts``)."""

    def authenticate(self, username: str, password: str, *, source: str = "") -> object: ...

    def issue_token(self, username: str, *, name: str, days: int = ...) -> _Issued: ...


LoginsFactory = Callable[[], Logins]

router = APIRouter(prefix=API_PREFIX)


class LoginDesk:
    """The accounts the logins use: opened on first use, one login at a time."""

    def __init__(self, factory: LoginsFactory) -> None:
        self._factory = factory
        self._accounts: Logins | None = None
        self._lock = threading.Lock()

    def login(self, body: LoginBody, source: str) -> IssuedTokenBody:
        with self._lock:
            if self._accounts is None:
                self._accounts = self._factory()
            self._accounts.authenticate(body.username, body.password, source=source)
            issued = self._accounts.issue_token(body.username, name=body.name, days=TOKEN_DAYS)
        return IssuedTokenBody.model_validate({"token": issued.token, "expires_at": issued.info.expires_at})


@router.post(
    "/auth/token",
    response_model=IssuedTokenBody,
    tags=["auth"],
    responses={
        401: {"model": ApiErrorBody, "description": "Username or password wrong, or the account disabled"},
        413: ERRORS[413],
        422: ERRORS[422],
        429: {"model": ApiErrorBody, "description": "Too many failed logins for this username lately; wait"},
        503: ERRORS[503],
    },
    dependencies=[Depends(known_query)],
)
def login(request: HttpRequest, body: LoginBody) -> IssuedTokenBody:
    """Log in with a username and password: a new API token of the account (valid 90 days), shown
    once. Needs no bearer token. Failed logins are counted per username: after 5 within 15 minutes
    the answer is 429 until the window passes."""
    desk: LoginDesk | None = request.app.state.logins
    if desk is None:
        raise ApiError(404, "no_route", "this server has no accounts to log in to")
    user = printable(body.username)[:64]
    source = request.client.host if request.client else "?"
    try:
        answer = desk.login(body, source)
    except LoginThrottled:
        logger.warning("login %s from %s: throttled", user, source)
        raise ApiError(429, "throttled", "too many failed logins for this username lately; wait") from None
    except (AuthError, AccountError):
        logger.warning("login %s from %s: refused", user, source)
        raise ApiError(401, "unauthorized", "login refused: username or password wrong") from None
    except StoreError as exc:
        logger.error("login %s from %s: accounts unavailable: %s", user, source, exc)
        raise ApiError(503, "unavailable", "the accounts are unavailable; retry later") from None
    logger.warning("login %s from %s: accepted", user, source)  # the log of logins: at serve's level
    return answer
