"""One ticket's page (the timeline of the 12 steps against their standards), its letter, and the
list of recent tickets for the officials.

Every role reaches a ticket here; whoever may not see it (a pemohon and another office's ticket)
gets the same 404 page as for an id that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import FileResponse, Response

from sipelangi_net.server.pages.letters import letter_path
from sipelangi_net.server.pages.view import last_decision, status_text, timeline
from sipelangi_net.server.pages.web import not_found, pages_of, render, require, use_store, visible_ticket
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Ticket
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
        fresh=baru == "1" and str(session.account.role) == PEMOHON,
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
