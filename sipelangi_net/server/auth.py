"""Who is calling: bearer tokens resolved to a principal, checked before any body is read.

A :data:`TokenResolver` maps the bearer token of a request to the
:class:`Principal` it belongs to, or ``None`` when the token is not valid. The
guard (:class:`~sipelangi_net.server.guard.Guard`) calls it once per request,
before reading the body, and puts the principal in the ASGI scope's state;
:func:`authorize`, the security dependency every ``/api/v1`` route declares,
hands it to the endpoint and makes the OpenAPI document say "bearer auth".

Today the server has one token (:func:`single_token`). Per-account tokens plug
in as another resolver: anything callable as ``resolver(token) -> Principal |
None``, e.g. ``SqliteAccounts.authenticate_token`` (an ``Account`` has the
:class:`Principal` attributes). A resolver must not raise for a wrong token
(``None``); it is called in the event loop, so it should be quick (a hashed
token lookup, not a password hash).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends
from fastapi import Request as HttpRequest
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sipelangi_net.server.errors import UNAUTHORIZED, ApiError

PRINCIPAL = "principal"
"""The key of the caller's principal in the ASGI scope's ``state``."""


class Principal(Protocol):
    """The caller a token belongs to (an account, or the server's one token)."""

    @property
    def username(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def role(self) -> str: ...


TokenResolver = Callable[[str], Principal | None]


@dataclass(frozen=True, slots=True)
class ServerToken:
    """The principal of the server's one token (``serve --token-file``): may do anything."""

    username: str = "server-token"
    display_name: str = "the server's token"
    role: str = "admin"


def single_token(token: str) -> TokenResolver:
    """The resolver of one shared token (compared in constant time)."""
    expected = token.encode()
    principal = ServerToken()

    def resolve(candidate: str) -> Principal | None:
        return principal if hmac.compare_digest(candidate.encode(), expected) else None

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
    description="The server's token (sipelangi-net serve --token-file, or SIPELANGI_TOKEN).",
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
