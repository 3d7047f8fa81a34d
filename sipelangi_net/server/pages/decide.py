"""The Kepala Dinas's pages: the inbox of requests waiting for disposition, and the decision (step 3).

Setujui records step 3 ``approve``; Tunda records ``defer`` with the consideration; Kembalikan
untuk perbaikan records ``defer`` too, its note beginning "Dikembalikan untuk perbaikan: " (the
pemohon revises and resubmits, branch ``resubmit``). The move goes through the server's store as
the account, the same check as ``POST /api/v1/tickets/{id}/events``: the Kepala Dinas, or a Plt./Plh.
with a delegation valid today. The notification mail of step 2 links here (``/disposisi/<id>``):
a remembered session opens it in one tap.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sipelangi_net.accounts.models import AccountRole
from sipelangi_net.accounts.sessions import WebSession
from sipelangi_net.server.disposisi import record_with_sheet
from sipelangi_net.server.pages.ticket import disposition_pdf, recent
from sipelangi_net.server.pages.view import RETURNED, last_decision, status_text, timeline
from sipelangi_net.server.pages.web import (
    PageError,
    check_csrf,
    pages_of,
    render,
    require,
    see_other,
    text_field,
    use_store,
    visible_ticket,
)
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.policy import local_day
from sipelangi_net.tickets.sqlite import utcnow

WAITING = "forwarded"
DEFERRED = "deferred"
INBOX_SIZE = 100
DEFERRED_SHOWN = 20
DECISIONS = {
    "setujui": ("approve", ""),
    "tunda": ("defer", ""),
    "kembalikan": ("defer", RETURNED),
}
router = APIRouter()


def deciding(request: HttpRequest) -> WebSession:
    """The session of the Kepala Dinas, or of a Plt./Plh. valid today; a 403 page for anyone else."""
    session = require(request)
    if not session.account.acts_as(AccountRole.KEPALA_DINAS, local_day(utcnow())):
        raise PageError(
            403, "Tidak diizinkan", "Halaman ini untuk Kepala Dinas (atau Plt./Plh. yang sah hari ini)."
        )
    return session


@router.get("/disposisi", include_in_schema=False)
def inbox(request: HttpRequest) -> Response:
    session = deciding(request)
    waiting = use_store(request, lambda s: recent(s, TicketQuery(status=WAITING), INBOX_SIZE))
    deferred = use_store(request, lambda s: recent(s, TicketQuery(status=DEFERRED), DEFERRED_SHOWN))
    return render(request, "disposisi_daftar.html", session=session, waiting=waiting[::-1], deferred=deferred)


def _page(
    request: HttpRequest, session: WebSession, ticket_id: str, *, error: str = "", status: int = 200
) -> Response:
    ticket = visible_ticket(request, session, ticket_id)
    return render(
        request,
        "disposisi.html",
        session=session,
        status=status,
        ticket=ticket,
        state=status_text(ticket.status),
        rows=timeline(ticket),
        decision=last_decision(ticket),
        sheet=disposition_pdf(ticket, pages_of(request).documents) is not None,
        open_=ticket.status in (WAITING, DEFERRED),
        error=error,
    )


@router.get("/disposisi/{ticket_id}", include_in_schema=False)
def decision_page(request: HttpRequest, ticket_id: str) -> Response:
    return _page(request, deciding(request), ticket_id)


@router.post("/disposisi/{ticket_id}", include_in_schema=False)
async def decide(request: HttpRequest, ticket_id: str) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    session = await run_in_threadpool(deciding, request)
    check_csrf(session, form)
    choice, consideration = text_field(form, "keputusan"), text_field(form, "pertimbangan")
    if choice not in DECISIONS:
        return await run_in_threadpool(
            _page,
            request,
            session,
            ticket_id,
            error="Pilih keputusan: Setujui, Tunda, atau Kembalikan.",
            status=422,
        )
    outcome, prefix = DECISIONS[choice]
    if outcome == "defer" and not consideration:
        return await run_in_threadpool(
            _page, request, session, ticket_id, error="Tuliskan pertimbangan penundaan.", status=422
        )
    move = Move(step=3, actor=session.account.display_name, outcome=outcome, note=prefix + consideration)

    def record() -> None:
        if visible_ticket(request, session, ticket_id).status not in (WAITING, DEFERRED):
            raise PageError(409, "Sudah diputuskan", "Permohonan ini sudah diputuskan; lihat linimasanya.")
        reports = pages_of(request).documents  # the Lembar Disposisi is written with the decision
        use_store(request, lambda store: record_with_sheet(store, ticket_id, move, session.account, reports))

    await run_in_threadpool(record)
    return see_other(f"/disposisi/{ticket_id}")
