"""The API's front door: bearer token, body size counted on the stream, and JSON bounds, before any endpoint.

An ASGI middleware, so that nothing in FastAPI reads a byte of the body before
it passes:

- the bearer token is resolved first (:mod:`~sipelangi_net.server.auth`; 401,
  nothing read), except on the open paths (the health check), which still get
  the body checks; the caller's principal goes into the scope's state;
- a declared ``Content-Length`` above the limit is refused at once (413), and
  the bytes actually received are counted as they arrive, whatever the headers
  say (chunked, or a small ``Content-Length`` with a larger body): 413 as soon
  as the count passes the limit, and the connection is closed;
- a body must be UTF-8 JSON without ``NaN``/``Infinity`` and nested at most
  :data:`MAX_DEPTH` levels (422), so that no stored value can later fail to
  serialise. The checks take time linear in the body (the C decoder, then an
  iterative walk; no backtracking regular expression).

The checked body is then handed to the application unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sipelangi_net.server.auth import PRINCIPAL, TokenResolver, authenticate
from sipelangi_net.server.errors import CHALLENGE, UNAUTHORIZED, error_response

MAX_BODY = 256 * 1024
MAX_DEPTH = 32


def json_depth(value: Any, *, stop: int = MAX_DEPTH) -> int:
    """How deep lists and objects nest in the parsed JSON ``value`` (iterative; stops past ``stop``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > stop:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


class _NotANumber(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotANumber(f"{name} is not a JSON number")


def json_problem(body: bytes, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``body`` is not acceptable JSON for the API (``None`` when it is); linear in its size."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 text (byte {exc.start + 1})"
    too_deep = f"the body is nested more than {max_depth} levels deep"
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return f"the body is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
    except _NotANumber as exc:
        return f"the body is not valid JSON: {exc}"
    except ValueError:  # Python's limit on the digits of an integer
        return "the body is not valid JSON: a number has too many digits"
    except RecursionError:  # the decoder's own bound, far above max_depth
        return too_deep
    return too_deep if json_depth(value, stop=max_depth) > max_depth else None


class _TooLarge(Exception):
    pass


class Guard:
    """ASGI middleware: the token (except on ``open_paths``), then the body (size, JSON), before the app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        resolver: TokenResolver,
        open_paths: frozenset[str],
        max_body: int = MAX_BODY,
    ):
        self.app = app
        self.resolver = resolver
        self.open_paths = open_paths
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["path"] not in self.open_paths:
            principal = authenticate(self.resolver, headers.get("authorization"))
            if principal is None:
                await error_response(*UNAUTHORIZED, headers=CHALLENGE)(scope, receive, send)
                return
            scope.setdefault("state", {})[PRINCIPAL] = principal
        declared = headers.get("content-length", "")
        try:
            if declared.isdecimal() and int(declared) > self.max_body:
                raise _TooLarge
            body = await self._read_body(receive)
        except _TooLarge:
            message = f"request body larger than {self.max_body} bytes"
            response = error_response(413, "too_large", message, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        if body is None:  # the client went away
            return
        problem = json_problem(body) if body.strip() else None
        if problem:
            await error_response(422, "invalid", problem)(scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The body, counted as it arrives (:class:`_TooLarge` past the limit); ``None``: disconnected."""
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_body:
                raise _TooLarge
            more = bool(message.get("more_body", False))
        return bytes(body)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then waits on the real one (for the disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
