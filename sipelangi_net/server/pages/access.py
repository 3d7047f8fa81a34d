"""Logging in and out of the pages, the home of each role, and the packaged style sheet.

The login form is protected like every form: before a session exists its CSRF token is a random
secret in a cookie of its own (:data:`~sipelangi_net.server.pages.web.LOGIN_COOKIE`, double
submit). Passwords are checked by the accounts (Argon2id, failed logins throttled per username).
The session cookie is HttpOnly, SameSite=Lax, Secure under TLS; "ingat perangkat ini" makes it
last :data:`~sipelangi_net.accounts.sessions.REMEMBER_DAYS` for an official.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from importlib.resources import files

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sipelangi_net.accounts.sessions import REMEMBER_DAYS, WebSession
from sipelangi_net.errors import AccountError, AuthError, LoginThrottled, StoreError
from sipelangi_net.server.pages.web import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    LOGIN_PATH,
    SESSION_COOKIE,
    PageError,
    check_csrf,
    pages_of,
    render,
    require,
    see_other,
    session_of,
    text_field,
)
from sipelangi_net.validate import printable

logger = logging.getLogger(__name__)

HOMES = {
    "pemohon": "/permohonan",
    "kepala_dinas": "/disposisi",
    "helpdesk": "/helpdesk",
    "kepala_bidang": "/laporan",
    "tim_kerja": "/kerja",
}
"""Where each role lands after logging in (the others: their tickets' list, :data:`DEFAULT_HOME`)."""
DEFAULT_HOME = "/tiket"
CSS = files("sipelangi_net.server.pages").joinpath("aset", "sipelangi.css").read_bytes()
PROGRESS_JS = files("sipelangi_net.server.pages").joinpath("aset", "kemajuan.js").read_bytes()

router = APIRouter()


def home_of(session: WebSession) -> str:
    return HOMES.get(str(session.account.role), DEFAULT_HOME)


def _next(value: str) -> str:
    """A page of this server to go back to after logging in ("" when it is not one)."""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and len(value) < 200:
        return value if value.isprintable() else ""
    return ""


def _secure(request: HttpRequest) -> bool:
    return request.url.scheme == "https"


@router.get("/aset/sipelangi.css", include_in_schema=False)
def style() -> Response:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/aset/kemajuan.js", include_in_schema=False)
def progress_script() -> Response:
    return Response(PROGRESS_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})


@router.get("/", include_in_schema=False)
def home(request: HttpRequest) -> Response:
    session = session_of(request)
    return see_other(home_of(session) if session else LOGIN_PATH)


def _login_form(request: HttpRequest, *, message: str = "", status: int = 200, back: str = "") -> Response:
    secret = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    page = render(
        request, "masuk.html", status=status, message=message, login_csrf=secret, lanjut=_next(back)
    )
    page.set_cookie(LOGIN_COOKIE, secret, httponly=True, samesite="strict", secure=_secure(request))
    return page


@router.get(LOGIN_PATH, include_in_schema=False)
def login_page(request: HttpRequest, lanjut: str = "") -> Response:
    session = session_of(request)
    if session is not None:
        return see_other(_next(lanjut) or home_of(session))
    return _login_form(request, back=lanjut)


@router.post(LOGIN_PATH, include_in_schema=False)
async def login(request: HttpRequest) -> Response:
    form = await request.form()
    expected = request.cookies.get(LOGIN_COOKIE, "")
    given = text_field(form, CSRF_FIELD)
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise PageError(
            403,
            "Formulir ditolak",
            "Formulir masuk ini kedaluwarsa atau tidak sah. Muat ulang halaman masuk.",
        )
    username, password = text_field(form, "username"), str(form.get("password") or "")
    back = _next(text_field(form, "lanjut"))
    source = request.client.host if request.client else "?"
    sessions = pages_of(request).sessions
    try:
        session_id, session = await run_in_threadpool(
            sessions.login, username, password, remember=form.get("ingat") == "ya", source=source
        )
    except LoginThrottled:
        logger.warning("page login %s from %s: throttled", printable(username)[:64], source)
        message = "Terlalu banyak percobaan masuk yang gagal untuk akun ini. Tunggu 15 menit, lalu coba lagi."
        return _login_form(request, message=message, status=429, back=back)
    except (AuthError, AccountError):
        logger.warning("page login %s from %s: refused", printable(username)[:64], source)
        return _login_form(request, message="Nama pengguna atau kata sandi salah.", status=401, back=back)
    except StoreError as exc:
        logger.error("page login from %s: accounts unavailable: %s", source, exc)
        raise PageError(
            503, "Layanan tidak tersedia", "Data akun sedang tidak tersedia; coba lagi."
        ) from None
    response = see_other(back or home_of(session))
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=REMEMBER_DAYS * 24 * 3600 if session.remembered else None,  # else: until the browser closes
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/keluar", include_in_schema=False)
async def logout(request: HttpRequest) -> Response:
    form = await request.form()
    session = await run_in_threadpool(require, request)
    check_csrf(session, form)
    await run_in_threadpool(pages_of(request).sessions.logout, request.cookies.get(SESSION_COOKIE))
    response = see_other(LOGIN_PATH)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request))
    return response
