"""The pages' plumbing: templates, the visitor's session, CSRF, error pages, the store.

- :func:`render` fills a packaged Jinja2 template (autoescape on: a hostile ticket field is text);
- :func:`visitor` is the session of the request's cookie (:data:`SESSION_COOKIE`), or a redirect
  to the login page; :func:`require` adds the role check (403 page);
- :func:`check_csrf` refuses a form without its session's token (403 page);
- :class:`PageError` becomes an error page in Bahasa Indonesia (never a traceback);
- :func:`use_store` runs an action on the server's store, its errors as pages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from fastapi import Request as HttpRequest
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from sipelangi_net.accounts.sessions import WebSession, WebSessions
from sipelangi_net.errors import (
    Busy,
    ConfigError,
    Forbidden,
    SipelangiError,
    SlotTaken,
    StoreError,
    TicketNotFound,
    WorkflowError,
)
from sipelangi_net.server.pages.jobs import WorkConfig
from sipelangi_net.server.pages.view import ROLE
from sipelangi_net.server.store import InventoryLoader, ServedStore, StoreHolder
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.policy import may_see
from sipelangi_net.validate import unsafe_character

logger = logging.getLogger(__name__)

SESSION_COOKIE = "spl_sesi"
LOGIN_COOKIE = "spl_masuk"
"""The login form's own CSRF secret (double submit): the form is posted before any session exists."""
CSRF_FIELD = "csrf"
LOGIN_PATH = "/masuk"
TICKET_ID = re.compile(r"^SPL-\d{4}-\d{5}$")
T = TypeVar("T")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("sipelangi_net.server.pages", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals["ROLE"] = ROLE


@dataclass(frozen=True, slots=True)
class Pages:
    """What the pages work on: the server's store and inventory, the sessions, the letters' folder."""

    store: StoreHolder
    inventory: InventoryLoader
    sessions: WebSessions
    letters: Path
    work: WorkConfig | None = None
    """The Tim Kerja's jobs, dry runs and scans (None: those pages answer 503)."""
    reports: Path | None = None
    """Where the tickets' documents are written and found (None: ``paths.reports_dir()``)."""

    @property
    def documents(self) -> Path:
        from sipelangi_net.paths import reports_dir

        return self.reports or reports_dir()


def pages_of(request: HttpRequest) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


class PageError(Exception):
    """An error page: status, a title and a sentence for people (Indonesian), and an optional detail."""

    def __init__(self, status: int, title: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.detail = detail


NOT_FOUND_TITLE = "Halaman tidak ditemukan"


def not_found(what: str = "Halaman atau tiket ini tidak ada, atau bukan untuk akun Anda.") -> PageError:
    """The one 404 page: the same for an id that does not exist and for another office's ticket."""
    return PageError(404, NOT_FOUND_TITLE, what)


def render(
    request: HttpRequest,
    template: str,
    *,
    session: WebSession | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` with ``context`` (and the session's account and CSRF token)."""
    text = _ENV.get_template(template).render(
        session=session,
        account=session.account if session else None,
        csrf=session.csrf if session else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def error_page(request: HttpRequest, exc: PageError) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    return render(
        request,
        "galat.html",
        session=session,
        status=exc.status,
        title=exc.title,
        message=exc.message,
        detail=exc.detail,
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def session_of(request: HttpRequest) -> WebSession | None:
    """The live session of the request's cookie (also kept on ``request.state`` for error pages)."""
    if hasattr(request.state, "session"):
        found: WebSession | None = request.state.session
        return found
    found = pages_of(request).sessions.resolve(request.cookies.get(SESSION_COOKIE))
    request.state.session = found
    return found


class LoginNeeded(Exception):
    """No live session: the visitor goes to the login page and comes back to ``back``."""

    def __init__(self, back: str) -> None:
        super().__init__(back)
        self.back = back


def login_redirect(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, LoginNeeded)
    return see_other(f"{LOGIN_PATH}?lanjut={quote(exc.back, safe='/')}")


def require(request: HttpRequest, roles: Collection[str] | None = None) -> WebSession:
    """The visitor's session; LoginNeeded without one; a 403 page when its role is not in ``roles``."""
    session = session_of(request)
    if session is None:
        raise LoginNeeded(request.url.path)
    if roles is not None and str(session.account.role) not in roles:
        names = " atau ".join(ROLE.get(r, r) for r in roles)
        raise PageError(403, "Tidak diizinkan", f"Halaman ini untuk {names}.")
    return session


def check_csrf(session: WebSession, form: FormData) -> None:
    """A 403 page unless the form carries the session's CSRF token."""
    token = form.get(CSRF_FIELD)
    if not session.csrf_ok(token if isinstance(token, str) else None):
        raise PageError(
            403,
            "Formulir ditolak",
            "Formulir ini tidak membawa tanda keamanan sesi Anda (mungkin kedaluwarsa)."
            " Muat ulang halaman, lalu kirim lagi.",
        )


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def line_field(form: FormData, name: str, label: str, limit: int, *, required: bool = False) -> str:
    """Field ``name``: one line of at most ``limit`` characters, else a 422 page naming ``label``."""
    value = text_field(form, name)
    if (required and not value) or len(value) > limit or unsafe_character(value):
        raise PageError(422, "Isian tidak sah", f"{label}: satu baris teks, paling panjang {limit} karakter.")
    return value


# Store errors -> (status, title, sentence)
_STORE_ERRORS: tuple[tuple[type[SipelangiError], int, str, str], ...] = (
    (
        SlotTaken,
        409,
        "Slot sudah terisi",
        "Slot pemasangan itu sudah dipakai tiket lain; isi waktu mulai lain yang disepakati, atau"
        " usulkan slot baru (langkah 5).",
    ),
    (
        Busy,
        409,
        "Sedang dikerjakan",
        "Tiket atau perangkat ini sedang dikerjakan proses lain; coba lagi nanti.",
    ),
    (Forbidden, 403, "Tidak diizinkan", "Akun Anda tidak berwenang mencatat langkah ini."),
    (
        WorkflowError,
        409,
        "Belum dapat dicatat",
        "Langkah ini tidak dapat dicatat pada status tiket sekarang.",
    ),
    (ConfigError, 422, "Isian tidak sah", "Isian formulir tidak dapat diterima."),
)


def use_store(request: HttpRequest, action: Callable[[ServedStore], T]) -> T:
    """``action`` on the server's store (one at a time); its errors as pages (details in the log)."""
    try:
        with pages_of(request).store.use() as store:
            return action(store)
    except PageError:
        raise
    except StoreError as exc:
        if str(exc).endswith("not found"):
            raise not_found() from None
        logger.warning("%s %s: ticket store: %s", request.method, request.url.path, exc)
        raise PageError(
            503, "Layanan tidak tersedia", "Basis data tiket sedang tidak tersedia; coba lagi."
        ) from None
    except TicketNotFound:
        raise not_found() from None
    except SipelangiError as exc:
        for cls, status, title, sentence in _STORE_ERRORS:
            if isinstance(exc, cls):
                raise PageError(status, title, sentence, str(exc)) from None
        logger.error("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        raise PageError(500, "Galat", "Terjadi galat pada server; lihat log server.") from None


def visible_ticket(request: HttpRequest, session: WebSession, ticket_id: str) -> Ticket:
    """The ticket ``ticket_id`` when the session's account may see it; the 404 page otherwise."""

    if not TICKET_ID.match(ticket_id):
        raise not_found()

    def action(store: ServedStore) -> Ticket:
        ticket = store.get(ticket_id)
        if not may_see(ticket, session.account):
            raise not_found()
        return ticket

    return use_store(request, action)
