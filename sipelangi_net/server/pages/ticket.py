"""One ticket's page (the timeline of the 12 steps against their standards), its letter, and the
list of recent tickets for the officials.

Every role reaches a ticket here; whoever may not see it (a pemohon and another office's ticket)
gets the same 404 page as for an id that does not exist.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import FileResponse, Response

from sipelangi_net.errors import MalformedTicketError
from sipelangi_net.server.pages.letters import PDF_MAGIC, letter_path
from sipelangi_net.server.pages.view import last_decision, status_text, timeline
from sipelangi_net.server.pages.web import not_found, pages_of, render, require, use_store, visible_ticket
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Decided, outputs_of
from sipelangi_net.tickets.policy import PEMOHON

RECENT = 50
OFFICIALS = ("helpdesk", "kepala_dinas", "kepala_bidang", "tim_kerja", "admin")
router = APIRouter()


def recent(store: ServedStore, query: TicketQuery, count: int) -> list[Ticket]:
    """The last ``count`` tickets of ``query``, newest first (paged through in id order)."""
    found: list[Ticket] = []
    after: str | None = None
    while True:
        page = store.page(query, after=after, limit=200)
        found = [*found, *page.tickets][-count:]
        if page.after is None:
            return found[::-1]
        after = page.after


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
        sheet=disposition_pdf(ticket) is not None,
        fresh=baru == "1" and str(session.account.role) == PEMOHON,
    )


def disposition_pdf(ticket: Ticket) -> Path | None:
    """The Lembar Disposisi PDF of the ticket's latest decision, when its file is there, is a PDF and
    still has the SHA-256 the event recorded (a path in a record is never served on its word)."""
    event = last_decision(ticket)
    if event is None:
        return None
    try:
        record = outputs_of(ticket, event, Decided).disposisi
    except MalformedTicketError:
        return None
    if record is None:
        return None
    path = Path(record.pdf.path)
    try:
        data = path.read_bytes() if path.is_file() else b""
    except OSError:
        return None
    if not data.startswith(PDF_MAGIC) or hashlib.sha256(data).hexdigest() != record.pdf.sha256:
        return None
    return path


@router.get("/tiket/{ticket_id}/disposisi", include_in_schema=False)
def disposition(request: HttpRequest, ticket_id: str) -> Response:
    session = require(request)
    ticket = visible_ticket(request, session, ticket_id)
    path = disposition_pdf(ticket)
    if path is None:
        raise not_found("Lembar Disposisi tiket ini belum ada.")
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=f"lembar-disposisi-{ticket.id}.pdf",
        headers={"Cache-Control": "no-store"},
    )


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
