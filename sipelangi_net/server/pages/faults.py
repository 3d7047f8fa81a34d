"""The fault pages (issue 19): "Laporkan gangguan" and "Gangguan saya" for the pemohon, the helpdesk's
"Antrean gangguan" (triage, close), the Tim Kerja's fault list (diagnosed, fixed, verified) and a
fault's page (its steps against the time standards, its diagnoses and re-tests).

Reports and steps go through :mod:`~sipelangi_net.server.faultdesk` and the server's store as the
session's account: the same checks as ``/api/v1/faults``. A pemohon sees only the faults of their
OPD's sites (whoever opened them); another OPD's fault is the same 404 page as a missing number.

::

    /gangguan                      pemohon: Gangguan saya; helpdesk: Antrean gangguan;
                                   Tim Kerja: the faults to diagnose, fix, verify; others: read-only
    /gangguan/baru                 pemohon (and the helpdesk on an OPD's behalf): the report form
    /gangguan/<GGN-id>             the fault: summary, timeline, records, the viewer's next steps
    /gangguan/<GGN-id>/langkah     (form) record a step
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sipelangi_net.accounts.sessions import WebSession
from sipelangi_net.errors import ConfigError, Forbidden, InventoryError
from sipelangi_net.faults.models import FaultTicket, label_number
from sipelangi_net.faults.records import FaultDraft, FaultRecords
from sipelangi_net.faults.sop import SEVERITIES, StepKey, step
from sipelangi_net.faults.standards import FaultStandards
from sipelangi_net.faults.workflow import next_steps
from sipelangi_net.inventory import Inventory
from sipelangi_net.server import faultdesk
from sipelangi_net.server.pages import fault_view as fv
from sipelangi_net.server.pages.pemohon import Choice, app_choices
from sipelangi_net.server.pages.web import (
    PageError,
    check_csrf,
    not_found,
    pages_of,
    render,
    require,
    see_other,
    text_field,
    use_store,
)
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.policy import HELPDESK, PEMOHON, TIM_KERJA
from sipelangi_net.tickets.sqlite import utcnow
from sipelangi_net.validate import unsafe_character

LABEL = re.compile(r"^GGN-[0-9]{5,15}$")
MAX_LISTED = 100
CLOSED_SHOWN = dt.timedelta(days=30)
"""The lists show the faults closed in the last 30 days (at most :data:`MAX_LISTED`)."""
MAX_NOTE = 2000
REPORTERS = (PEMOHON, HELPDESK)
BACK = {"antrean": "/gangguan"}
"""Where a step's form may send the visitor back to (else the fault's page)."""
OPEN_ONLY: fv.SectionSpec = (("terbuka", "Sedang ditangani", fv.OPEN_STEPS),)
LISTS: dict[str, tuple[str, fv.SectionSpec]] = {
    HELPDESK: ("Antrean gangguan", fv.HELPDESK_SECTIONS),
    TIM_KERJA: ("Gangguan untuk Tim Kerja", fv.TIM_KERJA_SECTIONS),
}
"""The list's title and sections for a role (others: one section of the open faults)."""
router = APIRouter()


def records_of(store: ServedStore) -> FaultRecords:
    return store.faults


def _standards(request: HttpRequest) -> FaultStandards:
    try:
        return faultdesk.standards_at(pages_of(request).inventory().path)
    except InventoryError as exc:
        raise PageError(
            503, "Layanan tidak tersedia", "Standar waktu penanganan gangguan tidak dapat dibaca.", str(exc)
        ) from None


def _sites(request: HttpRequest, session: WebSession) -> frozenset[str] | None:
    return faultdesk.account_sites(session.account, pages_of(request).inventory())


def _names(request: HttpRequest) -> dict[str, str]:
    """Site key -> the OPD's name, as the pages show the sites a fault cuts off."""
    return {key: site.opd for key, site in pages_of(request).inventory().sites.items()}


def _folded(text: str) -> str:
    """A text area's text as one line (line breaks become blanks)."""
    return " ".join(text.split())


# --- the lists -----------------------------------------------------------------------------------
@router.get("/gangguan", include_in_schema=False)
def fault_list(request: HttpRequest) -> Response:
    session = require(request)
    sites = _sites(request, session)
    role = str(session.account.role)
    now = utcnow()

    def action(store: ServedStore) -> tuple[list[FaultTicket], list[FaultTicket]]:
        records = records_of(store)
        since = now - CLOSED_SHOWN
        return (
            faultdesk.visible(records, sites, status="open"),
            faultdesk.visible(records, sites, status="closed", since=since),
        )

    found, done = use_store(request, action)
    norms, names = _standards(request), _names(request)
    open_lines = fv.lines(found, norms, now=now, names=names)
    closed = sorted(fv.lines(done, norms, now=now, names=names), key=lambda x: -x.fault.id)[:MAX_LISTED]
    title, spec = LISTS.get(role, ("Gangguan saya" if role == PEMOHON else "Gangguan jaringan", OPEN_ONLY))
    return render(
        request,
        "gangguan_daftar.html",
        session=session,
        closed=closed,
        offers={x.label: offered(x.fault, session) for x in open_lines},
        severities=[(s, fv.SEVERITY[s]) for s in SEVERITIES],
        title=title,
        sections=fv.sections(open_lines, spec),
    )


def _may_record(session: WebSession) -> dict[str, bool]:
    """Which steps the session's account records (by the fault SOP's roles)."""
    actor = faultdesk.fault_actor(session.account)
    keys: tuple[StepKey, ...] = ("triaged", "diagnosed", "fixed", "verified", "closed")
    return {k: actor is not None and actor.role in step(k).roles for k in keys}


# --- the report form -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Report:
    category: str
    application: str
    site: str
    description: str


def _site_choices(request: HttpRequest, session: WebSession) -> list[Choice]:
    known = pages_of(request).inventory()
    sites = faultdesk.account_sites(session.account, known)
    return [
        Choice(key, f"{site.opd} — {site.address}" if site.address else site.opd)
        for key, site in sorted(known.sites.items())
        if sites is None or key in sites
    ]


def _form(
    request: HttpRequest, session: WebSession, *, errors: list[str], values: Report | None, status: int = 200
) -> Response:
    return render(
        request,
        "gangguan_baru.html",
        session=session,
        status=status,
        categories=faultdesk.CATEGORIES,
        app_category=faultdesk.APPLICATION_CATEGORY,
        apps=app_choices(pages_of(request).inventory()),
        sites=_site_choices(request, session),
        errors=errors,
        values=values or Report("", "", "", ""),
        max_note=MAX_NOTE,
    )


@router.get("/gangguan/baru", include_in_schema=False)
def report_form(request: HttpRequest) -> Response:
    session = require(request, REPORTERS)
    return _form(request, session, errors=[], values=None)


def _report(form: FormData) -> Report:
    return Report(
        category=text_field(form, "kategori"),
        application=text_field(form, "aplikasi"),
        site=text_field(form, "lokasi"),
        description=_folded(text_field(form, "uraian")),
    )


def _problems(report: Report) -> list[str]:
    errors = []
    category = faultdesk.CATEGORY_BY_TEXT.get(report.category)
    if category is None:
        errors.append("Jenis gangguan: pilih dari daftar.")
    elif category.application and not report.application:
        errors.append("Aplikasi: pilih aplikasi yang tidak dapat diakses.")
    if not report.description or len(report.description) > MAX_NOTE or unsafe_character(report.description):
        errors.append(f"Uraian: tuliskan gangguan yang dialami (paling panjang {MAX_NOTE} karakter).")
    return errors


@router.post("/gangguan/baru", include_in_schema=False)
async def report(request: HttpRequest) -> Response:
    form = await request.form(max_files=0, max_fields=20)
    session = await run_in_threadpool(require, request, REPORTERS)
    check_csrf(session, form)
    return await run_in_threadpool(_submit, request, session, _report(form))


def _draft(session: WebSession, values: Report, known: Inventory, now: dt.datetime) -> FaultDraft | list[str]:
    """The fault the form's report opens, or what is wrong with the form (a 403 page for a site
    that is not the account's: the form offers none)."""
    errors = _problems(values)
    category = faultdesk.CATEGORY_BY_TEXT.get(values.category)
    if errors or category is None:
        return errors
    try:
        site = faultdesk.report_site(session.account, values.site or None, known)
        return faultdesk.report_draft(
            category=category.text,
            application=values.application if category.application else None,
            description=values.description,
            site=site,
            inventory=known,
            account=session.account,
            now=now,
        )
    except Forbidden as exc:
        raise PageError(403, "Tidak diizinkan", "Lokasi ini bukan lokasi OPD Anda.", str(exc)) from None
    except ConfigError:
        return ["Lokasi atau aplikasi tidak dikenal; pilih dari daftar."]


def _submit(request: HttpRequest, session: WebSession, values: Report) -> Response:
    now = utcnow()
    draft = _draft(session, values, pages_of(request).inventory(), now)
    if isinstance(draft, list):
        return _form(request, session, errors=draft, values=values, status=422)

    def action(store: ServedStore) -> tuple[FaultTicket, bool]:
        try:
            return faultdesk.file_report(records_of(store), draft, account=session.account, now=now)
        except faultdesk.TooMany as exc:
            raise PageError(
                429,
                "Terlalu banyak laporan",
                f"Akun Anda sudah melaporkan {faultdesk.REPORTS_PER_HOUR} gangguan dalam satu jam"
                " terakhir; tambahkan keterangan pada laporan yang masih terbuka, atau coba lagi nanti.",
                str(exc),
            ) from None

    fault, opened = use_store(request, action)
    return see_other(f"/gangguan/{fault.label}?{'baru' if opened else 'sudah'}=1")


# --- one fault -----------------------------------------------------------------------------------
def _visible(request: HttpRequest, session: WebSession, fault_id: str) -> FaultTicket:
    """The fault ``fault_id`` when the session's account may see it; the 404 page otherwise."""
    if not LABEL.match(fault_id):
        raise not_found()
    sites = _sites(request, session)
    number = label_number(fault_id)

    def action(store: ServedStore) -> FaultTicket:
        fault = records_of(store).get(number)
        if not faultdesk.may_see(fault, sites):
            raise not_found()
        return fault

    return use_store(request, action)


def offered(fault: FaultTicket, session: WebSession) -> list[tuple[StepKey, str]]:
    """The steps the session's account may record on ``fault`` now, with their buttons."""
    may = _may_record(session)
    out = []
    for key in next_steps(fault):
        if may.get(key):
            label = fv.ACTION[key]
            if key == "diagnosed" and fault.step == "fixed":
                label = "Perbaikan belum berhasil: diagnosis ulang"
            out.append((key, label))
    return out


@router.get("/gangguan/{fault_id}", include_in_schema=False)
def fault_page(request: HttpRequest, fault_id: str, baru: str = "", sudah: str = "") -> Response:
    session = require(request)
    fault = _visible(request, session, fault_id)
    norms, now = _standards(request), utcnow()
    return render(
        request,
        "gangguan.html",
        session=session,
        fault=fault,
        line=fv.line(fault, norms, now=now, names=_names(request)),
        rows=fv.timeline(fault, norms, now=now),
        records=fv.records(fault),
        kind=fv.KIND.get(fault.kind, fault.kind),
        source=fv.SOURCE.get(fault.source, fault.source),
        steps=offered(fault, session),
        severities=[(s, fv.SEVERITY[s]) for s in SEVERITIES],
        fresh=bool(baru),
        known=bool(sudah),
    )


@router.post("/gangguan/{fault_id}/langkah", include_in_schema=False)
async def record(request: HttpRequest, fault_id: str) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    session = await run_in_threadpool(require, request, (HELPDESK, TIM_KERJA))
    check_csrf(session, form)
    wanted, grade = text_field(form, "langkah"), text_field(form, "tingkat")
    note = _folded(text_field(form, "catatan"))
    if len(note) > MAX_NOTE or unsafe_character(note):
        raise PageError(422, "Isian tidak sah", f"Catatan: paling panjang {MAX_NOTE} karakter.")
    back = BACK.get(text_field(form, "kembali"), f"/gangguan/{fault_id}")

    def work() -> None:
        fault = _visible(request, session, fault_id)
        choices = dict(offered(fault, session))
        if wanted not in choices:
            raise PageError(
                409,
                "Belum dapat dicatat",
                "Langkah ini sudah dicatat, atau gangguan belum sampai pada langkah ini.",
            )
        key: StepKey = next(k for k in choices if k == wanted)
        severity = next((s for s in SEVERITIES if s == grade), None) if key == "triaged" else None

        def action(store: ServedStore) -> FaultTicket:
            actor = faultdesk.step_actor(fault, key, session.account)
            return faultdesk.record_step(
                records_of(store), fault, key, actor=actor, note=note, severity=severity, at=utcnow()
            )

        use_store(request, action)

    await run_in_threadpool(work)
    return see_other(back)
