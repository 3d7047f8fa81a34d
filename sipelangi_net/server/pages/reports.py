"""The Kepala Bidang's page: installation reports (step 10) waiting to be acknowledged, and the
acknowledgement (step 10 ``acknowledge``, which lets the helpdesk close the ticket), recorded
through the server's store as the account (the same check as the API)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sipelangi_net.server.pages.ticket import recent
from sipelangi_net.server.pages.web import (
    PageError,
    check_csrf,
    render,
    require,
    see_other,
    use_store,
    visible_ticket,
)
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.policy import KEPALA_BIDANG

WAITING = "reported"
SHOWN = 100
router = APIRouter()


@router.get("/laporan", include_in_schema=False)
def reports(request: HttpRequest) -> Response:
    session = require(request, (KEPALA_BIDANG,))
    waiting = use_store(request, lambda s: recent(s, TicketQuery(status=WAITING), SHOWN))
    return render(request, "laporan.html", session=session, waiting=waiting[::-1])


@router.post("/laporan/{ticket_id}/terima", include_in_schema=False)
async def acknowledge(request: HttpRequest, ticket_id: str) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    session = await run_in_threadpool(require, request, (KEPALA_BIDANG,))
    check_csrf(session, form)
    move = Move(step=10, actor=session.account.display_name, outcome="acknowledge")

    def record() -> None:
        if visible_ticket(request, session, ticket_id).status != WAITING:
            raise PageError(409, "Belum dapat dicatat", "Laporan ini sudah diterima, atau belum dibuat.")
        use_store(request, lambda store: store.apply(ticket_id, move, account=session.account))

    await run_in_threadpool(record)
    return see_other("/laporan")
