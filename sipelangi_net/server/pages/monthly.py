"""The Kepala Bidang's monthly intranet report: a page summarising the month (requests received,
approved and deferred, installed, closed, the steps' working time against the standards, the
requesters' satisfaction, the OPDs' availability and the month's faults with their times to
repair) and the Laporan Jaringan Intra Pemerintah to download as HTML or PDF, built by the CLI's
own builder (:func:`~sipelangi_net.documents.intranet.build_intranet_report`) with the
satisfaction as one more section. The fault sections are the same values on the page and in the
document (:mod:`sipelangi_net.documents.gangguan`), timed against the team's standards
(``inventory/fault_standards.yaml`` of the server's inventory)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from sipelangi_net.accounts.surveys import Satisfaction
from sipelangi_net.documents.indonesian import check_nip
from sipelangi_net.documents.intranet import build_intranet_report, fault_sections
from sipelangi_net.documents.models import Document, Section, Table
from sipelangi_net.documents.records import Signer
from sipelangi_net.documents.writer import html_to_pdf, render_html
from sipelangi_net.errors import DocumentInputError
from sipelangi_net.faults.models import FaultTicket
from sipelangi_net.faults.standards import FaultStandards, load_standards
from sipelangi_net.server.pages import dashboard as dash
from sipelangi_net.server.pages.kabid import desk_of, latest_run, month_of, satisfaction
from sipelangi_net.server.pages.web import PageError, pages_of, render, require, use_store
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.policy import KEPALA_BIDANG
from sipelangi_net.tickets.sla import per_role
from sipelangi_net.tickets.sqlite import utcnow

router = APIRouter()
COUNTS: tuple[tuple[str, tuple[int, str]], ...] = (
    ("Permohonan diterima", (1, "done")),
    ("Disetujui", (3, "approve")),
    ("Ditunda", (3, "defer")),
    ("Terpasang", (7, "done")),
    ("Ditutup", (11, "done")),
)
"""The month's counts: a label and the (step, outcome) of the events counted."""
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""Before every ticket: the report reads all tickets up to the month's end (the OPDs connected by
then, as the CLI's report does); its sections select the month's own."""


def satisfaction_section(puas: Satisfaction) -> Section:
    title = "Kepuasan Pemohon"
    if not puas.count:
        return Section(title, paragraphs=("Belum ada survei kepuasan yang diisi pada periode ini.",))
    rows = tuple((label, f"{mean:.1f} dari 5") for label, mean in puas.means if mean is not None)
    share = round(100 * (puas.satisfied or 0.0))
    return Section(
        title,
        paragraphs=(
            f"{puas.count} pemohon mengisi survei setelah tiketnya ditutup; {share} % memberi nilai 4 atau 5"
            " pada setiap aspek.",
        ),
        tables=(Table(header=("Aspek", "Rata-rata"), rows=rows, numbered=False, caption="Nilai 1 sampai 5"),),
    )


def standards_of(request: HttpRequest) -> FaultStandards:
    """The fault time standards of the server's inventory."""
    return load_standards(pages_of(request).inventory().path)


def month_faults(store: ServedStore, since: dt.datetime, until: dt.datetime) -> list[FaultTicket]:
    """The fault tickets open at any time in the month."""
    return list(store.faults.list(since=since, until=until))


@router.get("/laporan/bulanan", include_in_schema=False)
def monthly(request: HttpRequest) -> Response:
    session = require(request, (KEPALA_BIDANG,))
    month = month_of(request)
    desk = desk_of(request)
    since, until = dash.bounds(month)
    figures, tickets, faults = use_store(
        request,
        lambda store: (
            desk.months(store, [month])[0],
            store.active_tickets(since=EPOCH, until=until),
            month_faults(store, since, until),
        ),
    )
    return render(
        request,
        "laporan_bulanan.html",
        session=session,
        bulan=dash.key(month),
        label=dash.month_label(month),
        choices=dash.choices(utcnow()),
        counts=[(label, figures.outcomes[of]) for label, of in COUNTS],
        steps=dash.step_rows(figures.steps),
        roles=dash.role_rows(per_role(figures.steps)),
        puas=satisfaction(request, month),
        gangguan=fault_sections(
            tickets,
            faults,
            standards=standards_of(request),
            names={t.request.site: t.request.opd for t in tickets},
            start=since,
            end=until,
            now=min(utcnow(), until),
        ),
    )


def _preparer(request: HttpRequest) -> Signer:
    name, nip = query_field(request, "nama"), query_field(request, "nip")
    try:
        return Signer(role="tim_kerja", name=name, nip=check_nip(nip, field="nip"))
    except (DocumentInputError, ValidationError):
        raise PageError(
            422,
            "Isian tidak sah",
            "Isi nama penyusun (Tim Kerja) dan NIP-nya (18 angka), lalu unduh lagi.",
        ) from None


def query_field(request: HttpRequest, name: str) -> str:
    return request.query_params.get(name, "").strip()


def _document(request: HttpRequest, month: dash.Month, preparer: Signer) -> Document:
    desk = desk_of(request)
    since, until = dash.bounds(month)
    tickets, faults = use_store(
        request,
        lambda store: (store.active_tickets(since=EPOCH, until=until), month_faults(store, since, until)),
    )
    found = latest_run(desk)
    if found is not None and found[1].finished_at >= until:
        found = None  # a run after the month says nothing of it
    return build_intranet_report(
        tickets,
        year=month[0],
        month=month[1],
        prepared_by=preparer,
        compliance=found[1] if found else None,
        compliance_source=found[0].parent.name if found else "",
        on=min(utcnow().date(), (until - dt.timedelta(days=1)).date()),
        extra=(satisfaction_section(satisfaction(request, month)),),
        faults=faults,
        standards=standards_of(request),
        now=min(utcnow(), until),
    )


@router.get("/laporan/bulanan/unduh", include_in_schema=False)
async def download(request: HttpRequest) -> Response:
    await run_in_threadpool(require, request, (KEPALA_BIDANG,))
    month = month_of(request)
    preparer = _preparer(request)
    doc = await run_in_threadpool(_document, request, month, preparer)
    html = render_html(doc)
    if request.query_params.get("bentuk") != "pdf":
        name = f"{doc.slug}.html"
        return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="{name}"'})
    pdf = await run_in_threadpool(html_to_pdf, html, base=desk_of(request).folder())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{doc.slug}.pdf"'},
    )
