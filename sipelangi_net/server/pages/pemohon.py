"""The pemohon's pages: the Surat Permohonan form (SOP step 1) and "Permohonan saya".

The form offers the sites of the pemohon's own OPD (and of their sites, when the account is bound
to some) and the applications of the server's inventory; the OPD is the account's, never a field.
The signed letter is uploaded as a PDF (:mod:`~sipelangi_net.server.pages.letters`) and its hash
goes on the ticket (``request.letter.scan_sha256``, kept on step 1's outputs too). The ticket is
opened through the server's store as the pemohon's account, the same check as ``POST
/api/v1/tickets``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from sipelangi_net.accounts.sessions import WebSession
from sipelangi_net.errors import ConfigError
from sipelangi_net.inventory import Inventory
from sipelangi_net.server.pages.letters import MAX_LETTER_BYTES, LetterRefused, keep_letter
from sipelangi_net.server.pages.view import status_text
from sipelangi_net.server.pages.web import (
    check_csrf,
    pages_of,
    render,
    require,
    see_other,
    text_field,
    use_store,
)
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.intake import check_catalogues
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Request, Ticket
from sipelangi_net.tickets.policy import PEMOHON, same_opd

MAX_LISTED = 100
router = APIRouter()


@dataclass(frozen=True, slots=True)
class Choice:
    key: str
    label: str


def site_choices(session: WebSession, known: Inventory) -> list[Choice]:
    """The sites the pemohon may ask for: their OPD's, and only their own when bound to some."""
    account = session.account
    return [
        Choice(key, f"{site.opd} — {site.address}" if site.address else site.opd)
        for key, site in sorted(known.sites.items())
        if account.opd and same_opd(site.opd, account.opd) and (not account.sites or key in account.sites)
    ]


def app_choices(known: Inventory) -> list[Choice]:
    return [Choice(key, app.name) for key, app in sorted(known.applications.items())]


def _form_page(
    request: HttpRequest,
    session: WebSession,
    *,
    errors: list[str],
    values: dict[str, object],
    status: int = 200,
) -> Response:
    known = pages_of(request).inventory()
    return render(
        request,
        "permohonan_baru.html",
        session=session,
        status=status,
        sites=site_choices(session, known),
        apps=app_choices(known),
        errors=errors,
        values=values,
        max_mib=MAX_LETTER_BYTES // (1024 * 1024),
    )


@router.get("/permohonan/baru", include_in_schema=False)
def new_form(request: HttpRequest) -> Response:
    session = require(request, (PEMOHON,))
    return _form_page(request, session, errors=[], values={"pic_name": session.account.display_name})


def _values(form: FormData) -> dict[str, object]:
    names = ("site", "users", "letter_number", "letter_date", "pic_name", "pic_phone", "pic_email", "notes")
    values: dict[str, object] = {name: text_field(form, name) for name in names}
    values["applications"] = [a for a in form.getlist("applications") if isinstance(a, str)]
    return values


_FIELD_NAMES = {
    "site": "Lokasi",
    "users": "Jumlah pengguna",
    "applications": "Aplikasi",
    "letter": "Surat permohonan",
    "pic": "Kontak (PIC)",
    "notes": "Catatan",
}


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False, include_input=False)[:6]:
        loc = [str(p) for p in err["loc"]]
        name = _FIELD_NAMES.get(loc[0], loc[0]) if loc else "Isian"
        out.append(f"{name} ({'.'.join(loc[1:]) or loc[0] if loc else ''}): {err['msg']}")
    return out


def _request(session: WebSession, values: dict[str, object], digest: str) -> Request:
    return Request.model_validate(
        {
            "opd": session.account.opd,
            "site": values["site"],
            "users": int(str(values["users"])) if str(values["users"]).isdecimal() else values["users"],
            "applications": values["applications"],
            "letter": {
                "number": values["letter_number"],
                "date": values["letter_date"],
                "scan_sha256": digest,
            },
            "pic": {"name": values["pic_name"], "phone": values["pic_phone"], "email": values["pic_email"]},
            "notes": values["notes"],
        }
    )


async def letter_bytes(form: FormData, field: str = "surat") -> bytes:
    """The uploaded letter (field ``surat``) of a form, at most one byte past the limit."""
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        return b""
    return await upload.read(MAX_LETTER_BYTES + 1)


@router.post("/permohonan/baru", include_in_schema=False)
async def submit(request: HttpRequest) -> Response:
    async with request.form(max_files=1, max_fields=40) as form:  # closes the upload's spool file
        session = await run_in_threadpool(require, request, (PEMOHON,))
        check_csrf(session, form)
        values = _values(form)
        data = await letter_bytes(form)
    return await run_in_threadpool(_submit, request, session, values, data)


def _submit(request: HttpRequest, session: WebSession, values: dict[str, object], data: bytes) -> Response:
    pages = pages_of(request)
    errors: list[str] = []
    try:
        digest = keep_letter(pages.letters, data)
    except LetterRefused as exc:
        errors.append(str(exc))
        digest = ""
    try:
        wanted = _request(session, values, digest)
        if [c.key for c in site_choices(session, pages.inventory()) if c.key == wanted.site] == []:
            raise ConfigError(f"site {wanted.site!r} is not one of the pemohon's sites")
        check_catalogues(wanted, pages.inventory(), source="the form")
    except ValidationError as exc:
        errors += _problems(exc)
    except ConfigError:
        errors.append("Lokasi atau aplikasi tidak dikenal; pilih dari daftar.")
    if errors:
        return _form_page(request, session, errors=errors, values=values, status=422)
    ticket = use_store(request, lambda store: store.create(wanted, helpdesk="", account=session.account))
    return see_other(f"/tiket/{ticket.id}?baru=1")


def own_tickets(store: ServedStore, session: WebSession) -> list[Ticket]:
    """The newest :data:`MAX_LISTED` tickets of the pemohon's OPD (their sites only, when bound)."""
    sites = session.account.sites
    one_site = next(iter(sites)) if len(sites) == 1 else None
    query = TicketQuery(opd=session.account.opd or "\x00", site=one_site)
    found = store.page(query, after=None, limit=MAX_LISTED, newest=True).tickets
    return [t for t in found if not sites or t.request.site in sites]


@router.get("/permohonan", include_in_schema=False)
def my_requests(request: HttpRequest) -> Response:
    session = require(request, (PEMOHON,))
    tickets = use_store(request, lambda store: own_tickets(store, session))
    rows = [(t, status_text(t.status)) for t in tickets]
    return render(request, "permohonan_saya.html", session=session, rows=rows)
