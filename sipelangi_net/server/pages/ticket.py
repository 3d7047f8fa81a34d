"""One ticket's page (the timeline of the 12 steps against their standards), its letter, and the
list of recent tickets for the officials.

Every role reaches a ticket here; whoever may not see it (a pemohon and another office's ticket)
gets the same 404 page as for an id that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import FileResponse, Response

from sipelangi_net.documents.writer import read_intact
from sipelangi_net.errors import MalformedTicketError
from sipelangi_net.server.pages import work_view
from sipelangi_net.server.pages.handover import AGREE_FROM, cosigns_of
from sipelangi_net.server.pages.letters import PDF_MAGIC, letter_path
from sipelangi_net.server.pages.view import last_decision, status_text, timeline
from sipelangi_net.server.pages.web import not_found, pages_of, render, require, use_store, visible_ticket
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.messages import closing_message
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Decided, HandedOver, outputs_of
from sipelangi_net.tickets.policy import PEMOHON, WIB
from sipelangi_net.tickets.sop import BRANCH_BY_OUTCOME

RECENT = 50
CLOSED = ("closed", "notified")
RESUBMIT_FROM = BRANCH_BY_OUTCOME[(1, "resubmit")].after
WITHDRAW_FROM = BRANCH_BY_OUTCOME[(11, "withdraw")].after
OFFICIALS = ("helpdesk", "kepala_dinas", "kepala_bidang", "tim_kerja", "admin")
router = APIRouter()


def recent(store: ServedStore, query: TicketQuery, count: int) -> list[Ticket]:
    """The newest ``count`` tickets of ``query``, newest first (one indexed query)."""
    return list(store.page(query, after=None, limit=count, newest=True).tickets)


@router.get("/tiket", include_in_schema=False)
def tickets(request: HttpRequest) -> Response:
    session = require(request, OFFICIALS)
    rows = [
        (t, status_text(t.status)) for t in use_store(request, lambda s: recent(s, TicketQuery(), RECENT))
    ]
    return render(request, "tiket_daftar.html", session=session, rows=rows)


@router.get("/tiket/{ticket_id}", include_in_schema=False)
def ticket_page(request: HttpRequest, ticket_id: str, baru: str = "") -> Response:
    session = require(request)
    ticket = visible_ticket(request, session, ticket_id)
    return render(
        request,
        "tiket.html",
        session=session,
        ticket=ticket,
        state=status_text(ticket.status),
        rows=timeline(ticket),
        decision=last_decision(ticket),
        sheet=disposition_pdf(ticket, pages_of(request).documents) is not None,
        signed=handover_pdf(ticket) is not None,
        closing=closing_message(ticket) if ticket.status in CLOSED else None,
        resubmit=ticket.status in RESUBMIT_FROM,
        withdraw=ticket.status in WITHDRAW_FROM,
        fresh=baru == "1" and str(session.account.role) == PEMOHON,
        handover=handover_view(request, ticket),
    )


def handover_view(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    """What the page shows while the berita acara waits for step 9: the test, the pemohon's agreement."""
    if ticket.status not in AGREE_FROM:
        return None
    given = cosigns_of(request).of(ticket.id)
    return {
        "result": work_view.bandwidth(ticket),
        "agreed": given,
        "agreed_at": f"{given.signed_at.astimezone(WIB):%d-%m-%Y %H.%M} WIB" if given else "",
    }


def recorded_pdf(path: str, sha256: str, *, base: Path | None = None) -> Path | None:
    """The PDF a ticket's event names, only while the file there is a PDF with the SHA-256 the event
    recorded (a path in a record is never served on its word); a relative path is under ``base``."""
    file = Path(path) if base is None else base / path
    data = read_intact(file, sha256)
    return file if data is not None and data.startswith(PDF_MAGIC) else None


def disposition_pdf(ticket: Ticket, reports: Path) -> Path | None:
    """The Lembar Disposisi PDF of the ticket's latest decision (step 3), when it is there intact
    (the server records its path relative to the reports directory ``reports``)."""
    event = last_decision(ticket)
    try:
        record = None if event is None else outputs_of(ticket, event, Decided).disposisi
    except MalformedTicketError:
        return None
    return None if record is None else recorded_pdf(record.pdf.path, record.pdf.sha256, base=reports)


def handover_pdf(ticket: Ticket) -> Path | None:
    """The signed, scanned berita acara of the ticket's done step 9, when it is there intact."""
    event = next((e for e in reversed(ticket.events) if e.step == 9 and e.outcome == "done"), None)
    try:
        record = None if event is None else outputs_of(ticket, event, HandedOver).handover
    except MalformedTicketError:
        return None
    return None if record is None else recorded_pdf(record.scan, record.scan_sha256)


def _pdf(path: Path | None, name: str, missing: str) -> Response:
    if path is None:
        raise not_found(missing)
    return FileResponse(
        path, media_type="application/pdf", filename=name, headers={"Cache-Control": "no-store"}
    )


@router.get("/tiket/{ticket_id}/disposisi", include_in_schema=False)
def disposition(request: HttpRequest, ticket_id: str) -> Response:
    ticket = visible_ticket(request, require(request), ticket_id)
    return _pdf(
        disposition_pdf(ticket, pages_of(request).documents),
        f"lembar-disposisi-{ticket.id}.pdf",
        "Lembar Disposisi tiket ini belum ada.",
    )


@router.get("/tiket/{ticket_id}/berita-acara", include_in_schema=False)
def handover(request: HttpRequest, ticket_id: str) -> Response:
    ticket = visible_ticket(request, require(request), ticket_id)
    missing = "Berita acara bertanda tangan tiket ini belum ada."
    return _pdf(handover_pdf(ticket), f"berita-acara-{ticket.id}.pdf", missing)


@router.get("/tiket/{ticket_id}/surat", include_in_schema=False)
def letter(request: HttpRequest, ticket_id: str) -> Response:
    session = require(request)
    ticket = visible_ticket(request, session, ticket_id)
    path = letter_path(pages_of(request).letters, ticket.request.letter.scan_sha256)
    if path is None:
        raise not_found("Surat permohonan tiket ini tidak diunggah lewat halaman ini.")
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=f"surat-permohonan-{ticket.id}.pdf",
        headers={"Cache-Control": "no-store"},
    )
