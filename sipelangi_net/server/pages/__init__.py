"""SiPelangi's pages: server-rendered, in Bahasa Indonesia, for the roles of the SOP (docs/pages.md).

``create_app(..., pages=PagesConfig(...))`` serves them beside the API: every path outside
``/api/`` goes to :func:`pages_app` (:class:`PageDispatch`), so the API's bearer guard, its JSON
body checks and its JSON errors never apply to a page, and a page's errors are pages. A page
authenticates by its own server-side session (:mod:`sipelangi_net.accounts.sessions`), carries a
CSRF token on every form, and checks the role and the OPD of every ticket it shows.

Everything a page needs is packaged (templates, one style sheet); no page asks another host for
anything, and every form works without JavaScript.

::

    /masuk, /keluar                   log in (password) and out
    /permohonan, /permohonan/baru     pemohon: "Permohonan saya", the Surat Permohonan form (step 1);
                                      .../<id>/ajukan-ulang, .../<id>/tarik: resubmit, withdraw
    /tiket, /tiket/<id>               a ticket and its timeline of the 12 steps; .../surat, .../disposisi,
                                      .../berita-acara: its letter, Lembar Disposisi, signed berita acara
    /disposisi, /disposisi/<id>       Kepala Dinas: the inbox, the decision (step 3)
    /helpdesk                         helpdesk: the queue by state, forward (step 2) and close (step 11)
    /laporan                          Kepala Bidang: installation reports to acknowledge (step 10)
    /kerja, /kerja/<id>               Tim Kerja: the work list, a ticket's plan, slots, dry-run diff,
                                      provisioning job, bandwidth chart, signed berita acara upload;
                                      /tiket/<id>/jadwal: step 6 (Tim Kerja or helpdesk)
    /dasbor, /laporan/bulanan[/unduh] Kepala Bidang: the SLA dashboard, the monthly intranet report
    /kepatuhan                        Kepala Bidang: the fleet's latest compliance state, open faults
    /survei/<id>                      pemohon: the satisfaction survey of a closed ticket
    /gangguan, /gangguan/baru         faults (issue 19): Gangguan saya and the report form (pemohon),
    /gangguan/<GGN-id>[/langkah]      Antrean gangguan (helpdesk), the Tim Kerja's faults; a fault's page
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi import Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sipelangi_net.accounts.cosigns import Cosigns
from sipelangi_net.accounts.sessions import WebSessions
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.accounts.surveys import Surveys
from sipelangi_net.analysis.schedule import Calendar
from sipelangi_net.server.guard import replay_body
from sipelangi_net.server.pages import (
    access,
    decide,
    faults,
    handover,
    helpdesk,
    kabid,
    monthly,
    pemohon,
    reports,
    revise,
    survey,
    ticket,
    timkerja,
)
from sipelangi_net.server.pages.jobs import WorkConfig
from sipelangi_net.server.pages.letters import MAX_LETTER_BYTES
from sipelangi_net.server.pages.web import (
    LoginNeeded,
    PageError,
    Pages,
    error_page,
    login_redirect,
    not_found,
)
from sipelangi_net.server.store import InventoryLoader, StoreHolder

logger = logging.getLogger(__name__)

API_PATHS = "/api/"
MAX_PAGE_BODY = MAX_LETTER_BYTES + 64 * 1024
"""A form's body at most: the letter and the form's fields."""
HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self';"
        b" form-action 'self';"
        b" frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


@dataclass(frozen=True, slots=True)
class PagesConfig:
    """How a server serves pages: its sessions (opened on first use) and where uploaded letters go."""

    sessions: Callable[[], WebSessions]
    letters: Path
    work: WorkConfig | None = None
    calendar: Callable[[], Calendar] | None = None
    """The city's working calendar for the SLA dashboard (default: the inventory's calendar.yaml)."""
    reports: Path | None = None
    """Where compliance results are read (default: ``paths.reports_dir()``)."""


def pages_app(config: PagesConfig, *, store: StoreHolder, inventory: InventoryLoader) -> FastAPI:
    """The pages as an ASGI app over the API's store holder (the same lock) and inventory."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.pages = Pages(
        store=store,
        inventory=inventory,
        sessions=config.sessions(),
        letters=config.letters,
        work=config.work,
        reports=config.reports,
    )
    sessions: WebSessions = app.state.pages.sessions
    app.state.kabid = kabid.KabidDesk(
        calendar=config.calendar or kabid.default_calendar(),
        reports=config.reports,
        surveys=Surveys(SqliteAccounts(sessions.accounts.path)),
    )
    app.state.cosigns = Cosigns(SqliteAccounts(sessions.accounts.path))
    routed = [access, pemohon, revise, ticket, handover, decide, helpdesk, reports, faults]
    routed += [kabid, monthly, survey, timkerja]
    for module in routed:
        app.include_router(module.router)

    async def on_page_error(request: HttpRequest, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, PageError)
        return error_page(request, exc)

    async def on_http(request: HttpRequest, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            return error_page(request, PageError(405, "Tidak dapat", "Halaman ini tidak menerima cara itu."))
        return error_page(request, not_found())

    async def on_invalid(request: HttpRequest, exc: Exception) -> HTMLResponse:
        return error_page(request, not_found())

    async def on_bug(request: HttpRequest, exc: Exception) -> HTMLResponse:
        logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_page(request, PageError(500, "Galat", "Terjadi galat pada server; lihat log server."))

    app.add_exception_handler(PageError, on_page_error)
    app.add_exception_handler(LoginNeeded, login_redirect)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Exception, on_bug)
    return app


class PageDispatch:
    """ASGI middleware: a path under ``/api/`` goes to the API (and its guard), any other to the pages,
    with the body bounded (413 page) and the pages' security headers on every answer."""

    def __init__(self, app: ASGIApp, *, pages: ASGIApp, max_body: int = MAX_PAGE_BODY) -> None:
        self.app = app
        self.pages = pages
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(API_PATHS):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(scope, receive, send)
            return
        body = bytearray()
        more = scope["method"] in ("POST", "PUT", "PATCH")
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body:
                await self._too_large(scope, receive, send)
                return
            more = bool(message.get("more_body", False))
        await self.pages(scope, replay_body(bytes(body), receive), _with_headers(send))

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body // (1024 * 1024)
        text = (
            f"<!doctype html><html lang=id><title>Terlalu besar</title><p>Kiriman lebih dari {limit} MiB.</p>"
        )
        response = HTMLResponse(text, status_code=413, headers={"Connection": "close"})
        await response(scope, receive, _with_headers(send))


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *HEADERS]
        await send(message)

    return sending
