"""Accounts over the API: ``GET /auth/me`` for every caller, ``/accounts`` for an admin only.

An admin manages the accounts of the served database as ``sipelangi-net user`` does on its file:
add (a pemohon bound to an OPD of the server's inventory, with its sites), disable, set a
password, issue a token (shown once), list and revoke tokens, record a delegation (Plt./Plh. of
the Kepala Dinas). Any other caller gets 403, the service token too. Every change is logged at
the server's level with the admin's username; never a password or a token.

The endpoints are sync (FastAPI's thread pool): a password is hashed with argon2, never in the
event loop. One connection to the account tables, used one request at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends
from fastapi import Path as PathParam
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from pydantic import ValidationError

from sipelangi_net.accounts.models import Account, AccountRole, Delegation, Whoami, opd_sites
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.accounts.tokens import TokenInfo
from sipelangi_net.errors import AccountError, AuthError, ConfigError, StoreError
from sipelangi_net.server.account_models import (
    IssuedAccountToken,
    NewAccount,
    NewPassword,
    NewToken,
    TokenRow,
)
from sipelangi_net.server.auth import Caller, bearer_token
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.models import ApiErrorBody
from sipelangi_net.server.routes import Responses, api_router
from sipelangi_net.server.store import inventory
from sipelangi_net.tickets.policy import ADMIN, SYSTEM_ROLE, local_day

logger = logging.getLogger(__name__)

AccountsFactory = Callable[[], SqliteAccounts]
UsernamePath = Annotated[
    str, PathParam(pattern=r"^[a-z_][a-z0-9._-]{0,31}$", description="The account's username.")
]
TokenIdPath = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="The token's id.")]

ADMIN_ONLY: Responses = {
    403: {"model": ApiErrorBody, "description": "The caller is not an admin (accounts are an admin's)"},
    404: {"model": ApiErrorBody, "description": "No such account (or token of it)"},
}


class AccountDesk:
    """The served database's accounts: opened on first use, one request at a time, errors as API errors."""

    def __init__(self, factory: AccountsFactory) -> None:
        self._factory = factory
        self._accounts: SqliteAccounts | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def use(self) -> Iterator[SqliteAccounts]:
        with self._lock:
            if self._accounts is None:
                self._accounts = self._factory()
            accounts = self._accounts
            try:
                yield accounts
            except AccountError as exc:
                raise _refused(accounts, exc) from None
            except (ConfigError, ValidationError) as exc:
                raise ApiError(422, "invalid", _scrubbed(accounts, exc)) from None
            except StoreError as exc:
                logger.error("accounts: %s", exc)
                raise ApiError(503, "unavailable", "the accounts are unavailable; retry later") from None

    def close(self) -> None:
        with self._lock:
            if self._accounts is not None:
                self._accounts.close()
                self._accounts = None


def _scrubbed(accounts: SqliteAccounts, exc: Exception) -> str:
    """The error's message without the server's database path (server paths never reach an answer)."""
    if isinstance(exc, ValidationError):
        err = exc.errors(include_url=False, include_input=False)[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc).replace(f" in {accounts.path}", "").replace(str(accounts.path), "the server")


def _refused(accounts: SqliteAccounts, exc: AccountError) -> ApiError:
    message = _scrubbed(accounts, exc)
    if "not found" in message or "not a token of" in message:
        return ApiError(404, "not_found", message.split(" (see ")[0])
    return ApiError(422, "invalid", message)  # a username taken, a bad delegation, a disabled account


def desk(request: HttpRequest) -> AccountDesk:
    found: AccountDesk | None = getattr(request.app.state, "accounts", None)
    if found is None:
        raise ApiError(404, "no_route", "this server has no accounts")
    return found


async def admin_only(request: HttpRequest, caller: Caller) -> None:  # async: no I/O
    """Accounts are an admin's: any other account, and the service token, get 403."""
    if str(caller.role) != ADMIN:
        logger.warning(
            "accounts: %s (%s) refused %s %s", caller.username, caller.role, request.method, request.url.path
        )
        raise ApiError(
            403,
            "forbidden",
            f"{request.method} {request.url.path} needs the role {ADMIN}; the caller"
            f" {caller.username!r} has the role {caller.role}",
        )


me_router = api_router()
router = api_router()
router.dependencies.append(Depends(admin_only))


def _row(info: TokenInfo) -> TokenRow:
    return TokenRow.of(info, dt.datetime.now(dt.UTC))


@me_router.get("/auth/me", response_model=Whoami, tags=["auth"])
def me(request: HttpRequest, caller: Caller) -> Whoami:
    """Who the caller is: their account (role; a pemohon's OPD and sites; an active Plt./Plh.
    delegation) and when their token expires; or the service principal (role ``system``)."""
    if str(caller.role) == SYSTEM_ROLE:
        return Whoami(username=caller.username, display_name=caller.display_name, role=SYSTEM_ROLE)
    if not isinstance(caller, Account):  # a resolver of another kind: what the policy reads of it
        raise ApiError(501, "unsupported", "this server's callers are not accounts")
    token = bearer_token(request.headers.get("authorization")) or ""
    with desk(request).use() as accounts:
        try:
            expires: dt.datetime | None = accounts.token_of(token).expires_at
        except AuthError:  # resolved a moment ago: revoked meanwhile
            raise ApiError(401, "unauthorized", "token refused; log in again") from None
    return Whoami(
        username=caller.username,
        display_name=caller.display_name,
        role=caller.role,
        account=caller,
        delegation=caller.delegation_on(local_day(dt.datetime.now(dt.UTC))),
        token_expires_at=expires,
    )


@router.get("/accounts", response_model=list[Account], tags=["accounts"], responses=ADMIN_ONLY)
def list_accounts(request: HttpRequest) -> list[Account]:
    """Every account, by username (admin only; no password or token is ever shown)."""
    with desk(request).use() as accounts:
        return accounts.list()


@router.post("/accounts", status_code=201, response_model=Account, tags=["accounts"], responses=ADMIN_ONLY)
def add_account(request: HttpRequest, body: NewAccount, caller: Caller) -> Account:
    """Add an account (admin only). A pemohon is bound to an OPD of the server's inventory and its
    sites (422 for an OPD it does not know); no other role has an OPD. 422 too for a username taken."""
    opd: str | None = None
    sites: tuple[str, ...] = ()
    if body.opd is not None and body.role is not AccountRole.PEMOHON:
        raise ApiError(422, "invalid", f"opd: only a pemohon account has an OPD (this one is {body.role})")
    if body.role is AccountRole.PEMOHON:
        if body.opd is None:
            raise ApiError(422, "invalid", "opd: a pemohon account needs its OPD (its name in sites.yaml)")
        site_opds = {k: s.opd for k, s in inventory(request).sites.items()}
        try:
            opd, sites = opd_sites(body.opd, site_opds)
        except AccountError as exc:
            raise ApiError(422, "invalid", str(exc).replace("--opd: ", "opd: ")) from None
    with desk(request).use() as accounts:
        account = accounts.add(
            body.username,
            display_name=body.display_name,
            role=body.role,
            opd=opd,
            sites=sites,
            password=body.password,
        )
    logger.warning(
        "accounts: %s added %s (%s%s)",
        caller.username,
        account.username,
        account.role,
        f", {opd}" if opd else "",
    )
    return account


@router.get("/accounts/{username}", response_model=Account, tags=["accounts"], responses=ADMIN_ONLY)
def get_account(request: HttpRequest, username: UsernamePath) -> Account:
    """One account (admin only)."""
    with desk(request).use() as accounts:
        return accounts.by_username(username)


@router.post("/accounts/{username}/disable", response_model=Account, tags=["accounts"], responses=ADMIN_ONLY)
def disable_account(request: HttpRequest, username: UsernamePath, caller: Caller) -> Account:
    """Disable an account (admin only): its password and every token are refused from now on."""
    with desk(request).use() as accounts:
        account = accounts.disable(username)
    logger.warning("accounts: %s disabled %s", caller.username, account.username)
    return account


@router.put("/accounts/{username}/password", status_code=204, tags=["accounts"], responses=ADMIN_ONLY)
def set_password(request: HttpRequest, username: UsernamePath, body: NewPassword, caller: Caller) -> Response:
    """Set an account's password (admin only; 422 for a password too short or the username)."""
    with desk(request).use() as accounts:
        accounts.set_password(username, body.password)
    logger.warning("accounts: %s changed %s's password", caller.username, username)
    return Response(status_code=204)


@router.get(
    "/accounts/{username}/tokens", response_model=list[TokenRow], tags=["accounts"], responses=ADMIN_ONLY
)
def list_tokens(request: HttpRequest, username: UsernamePath) -> list[TokenRow]:
    """An account's API tokens: id, name, dates and state (admin only; never the tokens)."""
    with desk(request).use() as accounts:
        return [_row(t) for t in accounts.tokens(username)]


@router.post(
    "/accounts/{username}/tokens",
    status_code=201,
    response_model=IssuedAccountToken,
    tags=["accounts"],
    responses=ADMIN_ONLY,
)
def issue_token(
    request: HttpRequest, username: UsernamePath, body: NewToken, caller: Caller
) -> IssuedAccountToken:
    """Issue an API token for an account (admin only): in this answer once; only its digest is kept."""
    with desk(request).use() as accounts:
        issued = accounts.issue_token(username, name=body.name, days=body.days)
    logger.warning(  # worded as the store's log, so the scrubber's "token <value>" rule keeps it
        "accounts: %s issued %s a new API token, #%d (%s), until %s",
        caller.username,
        username,
        issued.info.id,
        issued.info.name,
        issued.info.expires_at,
    )
    return IssuedAccountToken(token=issued.token, info=_row(issued.info))


@router.post(
    "/accounts/{username}/tokens/{token_id}/revoke",
    response_model=TokenRow,
    tags=["accounts"],
    responses=ADMIN_ONLY,
)
def revoke_token(
    request: HttpRequest, username: UsernamePath, token_id: TokenIdPath, caller: Caller
) -> TokenRow:
    """Revoke one of an account's tokens (admin only); revoking it again changes nothing."""
    with desk(request).use() as accounts:
        info = accounts.revoke_token(username, token_id)
    logger.warning("accounts: %s revoked #%d of %s (API token)", caller.username, token_id, username)
    return _row(info)


@router.post(
    "/accounts/{username}/delegations",
    status_code=201,
    response_model=Account,
    tags=["accounts"],
    responses=ADMIN_ONLY,
)
def delegate(request: HttpRequest, username: UsernamePath, body: Delegation, caller: Caller) -> Account:
    """Record a delegation (admin only): the account acts as the Kepala Dinas (Plt./Plh.) for the
    period, by the decree named."""
    with desk(request).use() as accounts:
        account = accounts.add_delegation(username, body)
    logger.warning(
        "accounts: %s recorded %s %s Kepala Dinas %s..%s (%s)",
        caller.username,
        username,
        body.kind,
        body.start,
        body.end,
        body.decree,
    )
    return account
