"""The API's routes, one module per resource: health (open), tickets, notifications (bearer auth).

:data:`ERRORS` and the other dicts are the documented error answers the routes
share; :func:`known_query` refuses query parameters an operation does not
declare.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi import Request as HttpRequest
from fastapi.routing import APIRoute

from sipelangi_net.server.auth import authorize
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.guard import MAX_BODY, MAX_DEPTH
from sipelangi_net.server.models import ApiErrorBody
from sipelangi_net.validate import printable

API_PREFIX = "/api/v1"
HEALTH_PATH = f"{API_PREFIX}/health"

Responses = dict[int | str, dict[str, Any]]

ERRORS: Responses = {
    401: {
        "model": ApiErrorBody,
        "description": "Missing or wrong bearer token (unknown, expired or revoked; or a disabled account)",
    },
    413: {"model": ApiErrorBody, "description": f"Request body larger than {MAX_BODY // 1024} KiB"},
    422: {
        "model": ApiErrorBody,
        "description": (
            "Invalid input; the message names the field. Also: a body that is not UTF-8 JSON, holds"
            f" NaN or Infinity, or nests deeper than {MAX_DEPTH} levels; a query parameter the"
            " operation does not declare; a site or application the server's inventory does not know;"
            " a list cursor the server did not issue for the same filters."
        ),
    },
    503: {"model": ApiErrorBody, "description": "The ticket store is unavailable; retry later"},
}
NOT_FOUND: Responses = {404: {"model": ApiErrorBody, "description": "No such ticket"}}
FORBIDDEN: Responses = {
    403: {
        "model": ApiErrorBody,
        "description": (
            "The caller's account may not do this SOP step: the message names the step and the role(s)"
            " it needs (e.g. step 3 needs kepala_dinas or a Plt./Plh.); nothing is recorded"
        ),
    }
}
REFUSED: Responses = {
    409: {"model": ApiErrorBody, "description": "The SOP does not allow this move now; the message says why"}
}


async def known_query(request: HttpRequest) -> None:  # async: no I/O, no thread hop
    """Refuse a query parameter the operation does not declare (``?stauts=closed`` would list all)."""
    route = request.scope.get("route")
    known = {p.alias for p in route.dependant.query_params} if isinstance(route, APIRoute) else set()
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        listed = f" (parameters: {', '.join(sorted(known))})" if known else ""
        raise ApiError(422, "invalid", f"query parameter {printable(unknown[0])!r}: not known here{listed}")


def api_router() -> APIRouter:
    """A router under ``/api/v1`` whose every route needs the bearer token and declares its queries."""
    return APIRouter(
        prefix=API_PREFIX, dependencies=[Depends(authorize), Depends(known_query)], responses=ERRORS
    )
