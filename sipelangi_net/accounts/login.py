"""``sipelangi-net login``: get an API token from a SiPelangi server and save it for this user.

The exchange (the server's side is ``POST /api/v1/auth/token``)::

    request  {"username": "budi", "password": "...", "name": "budi@laptop"}
    200      {"token": "spl_...", "expires_at": "2027-03-01T09:00:00+00:00"}
    401      {"error": "...", "code": "unauthorized"}   wrong username or password, disabled account
    429      {"error": "...", "code": "throttled"}      too many failed logins lately

A token got another way (``user token`` on the server's machine) is saved with
``login URL --token-stdin``. Credentials go to loopback over http:// and elsewhere only over
https:// (:mod:`sipelangi_net.accounts.transport`).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from sipelangi_net import __version__
from sipelangi_net.accounts.tokens import looks_like_token
from sipelangi_net.accounts.transport import refuse_plain_http
from sipelangi_net.errors import AuthError, ConfigError, LoginThrottled, StoreError
from sipelangi_net.logs import register_secret
from sipelangi_net.tickets.http import api_url

TOKEN_PATH = "/auth/token"  # noqa: S105 - a URL path
TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class Login:
    api_root: str
    token: str
    expires_at: str = ""

    def __repr__(self) -> str:
        return f"Login({self.api_root!r}, token='spl_…', expires_at={self.expires_at!r})"


def server_root(url: str) -> str:
    """The API root (``.../api/v1``) of a server URL, refused when it is plain http:// off loopback."""
    return refuse_plain_http(api_url(url))


def given_token(url: str, token: str) -> Login:
    """A token pasted by the user (``--token-stdin``), checked for shape before it is saved."""
    token = token.strip()
    if not looks_like_token(token):
        raise ConfigError("the token read from stdin is not a SiPelangi API token (spl_ and 43 characters)")
    register_secret(token)
    return Login(server_root(url), token)


def exchange_password(
    url: str,
    username: str,
    password: str,
    *,
    name: str,
    transport: httpx.BaseTransport | None = None,
    timeout: float = TIMEOUT_S,
) -> Login:
    """Trade a username and password for a token at the server's ``POST /api/v1/auth/token``."""
    register_secret(password)
    root = server_root(url)
    body = {"username": username, "password": password, "name": name}
    headers = {"Accept": "application/json", "User-Agent": f"sipelangi-net/{__version__}"}
    try:
        with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False) as client:
            response = client.post(root + TOKEN_PATH, json=body, headers=headers)
    except httpx.TransportError as exc:
        raise StoreError(f"cannot reach SiPelangi at {root}: {type(exc).__name__}: {exc}") from None
    return _answer(root, response)


def _answer(root: str, response: httpx.Response) -> Login:
    status = response.status_code
    message = _message(response)
    if status == 401:
        raise AuthError(f"SiPelangi at {root} refused the login: {message}")
    if status == 429:
        raise LoginThrottled(f"SiPelangi at {root} refused the login: {message}")
    if status == 404:
        raise StoreError(
            f"SiPelangi at {root} has no login endpoint ({TOKEN_PATH}); get a token from its admin"
            " and run: sipelangi-net login URL --token-stdin"
        )
    if not response.is_success:
        raise StoreError(f"SiPelangi at {root}: login failed with HTTP {status}: {message}")
    try:
        data = response.json()
        token, expires = data["token"], data.get("expires_at", "")
    except (ValueError, KeyError, TypeError):
        raise StoreError(f"SiPelangi at {root} sent an invalid login answer") from None
    if not isinstance(token, str) or not looks_like_token(token) or not isinstance(expires, str):
        raise StoreError(f"SiPelangi at {root} sent an invalid login answer (no spl_ token)")
    register_secret(token)
    return Login(root, token, expires[:40])


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])[:300]
    return response.reason_phrase
