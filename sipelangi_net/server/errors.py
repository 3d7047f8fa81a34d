"""The API's error answers: ``{"error": "<message>", "code": "<code>"}``, and the handlers that make them.

401 ``unauthorized``, 404 ``not_found`` (``no_route`` for an unknown path), 409
``workflow`` or ``conflict``, 413 ``too_large``, 422 ``invalid`` (the message
names the field), 405 ``method_not_allowed`` (with the path's real ``Allow``),
503 ``unavailable``, 500 ``internal``. Tracebacks and server paths never reach
a response; they go to the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import FastAPI
from fastapi import Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

UNAUTHORIZED = (401, "unauthorized", "missing or wrong bearer token")
CHALLENGE = {"WWW-Authenticate": "Bearer"}
UNAVAILABLE = "the ticket store is unavailable (details are in the server log); retry later"
INTERNAL = "internal server error (details are in the server log)"


class ApiError(Exception):
    """An error response: status, machine-readable code, and a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The API's error body ``{"error": message, "code": code}``."""
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


def field_errors(exc: RequestValidationError) -> str:
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
    return error_response(422, "invalid", field_errors(exc))


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


def install_handlers(app: FastAPI) -> None:
    """Every error the app raises answers in the API's error body."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
