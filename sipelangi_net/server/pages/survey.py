"""The requesters' satisfaction survey: after the helpdesk closes a ticket (step 11) the closing
notice links to ``/survei/<id>``, where a logged-in pemohon of the ticket's OPD rates the speed, the
installation and the helpdesk's service from 1 to 5 and may leave a comment, once per ticket
(:mod:`sipelangi_net.accounts.surveys`). The Kepala Bidang sees the results on ``/dasbor``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sipelangi_net.accounts.surveys import ASPECTS, MAX_COMMENT, AlreadyAnswered, Answer
from sipelangi_net.server.pages.kabid import desk_of
from sipelangi_net.server.pages.web import (
    PageError,
    check_csrf,
    render,
    require,
    see_other,
    text_field,
    visible_ticket,
)
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.sqlite import utcnow

PEMOHON = "pemohon"
CLOSED = ("closed", "notified")
"""A ticket the helpdesk closed (step 11), before or after the closing notice was delivered."""
router = APIRouter()


def _closed_ticket(request: HttpRequest, ticket_id: str) -> tuple[Ticket, bool]:
    session = require(request, (PEMOHON,))
    ticket = visible_ticket(request, session, ticket_id)  # another OPD's: the 404 page
    if ticket.status not in CLOSED:
        raise PageError(409, "Belum dapat diisi", "Survei dapat diisi setelah tiket ditutup.")
    return ticket, desk_of(request).surveys.answered(ticket.id)


@router.get("/survei/{ticket_id}", include_in_schema=False)
def survey_page(request: HttpRequest, ticket_id: str) -> Response:
    ticket, answered = _closed_ticket(request, ticket_id)
    return render(
        request,
        "survei.html",
        session=require(request),
        ticket=ticket,
        answered=answered,
        aspects=ASPECTS,
        max_comment=MAX_COMMENT,
        message="",
    )


def _rating(form: FormData, name: str) -> int:
    value = text_field(form, name)
    if value not in ("1", "2", "3", "4", "5"):
        raise PageError(422, "Isian tidak sah", "Beri nilai 1 sampai 5 pada setiap pertanyaan.")
    return int(value)


@router.post("/survei/{ticket_id}", include_in_schema=False)
async def answer(request: HttpRequest, ticket_id: str) -> Response:
    form = await request.form(max_files=0, max_fields=20)
    session = await run_in_threadpool(require, request, (PEMOHON,))
    check_csrf(session, form)
    ticket, answered = await run_in_threadpool(_closed_ticket, request, ticket_id)
    if answered:
        raise PageError(409, "Sudah diisi", "Survei tiket ini sudah diisi; terima kasih.")
    comment = text_field(form, "komentar")
    if len(comment) > MAX_COMMENT:
        raise PageError(422, "Isian tidak sah", f"Komentar paling banyak {MAX_COMMENT} karakter.")
    given = Answer(
        ticket_id=ticket.id,
        opd=ticket.request.opd,
        speed=_rating(form, "speed"),
        quality=_rating(form, "quality"),
        helpdesk=_rating(form, "helpdesk"),
        comment=comment,
        answered_at=utcnow(),
    )
    try:
        await run_in_threadpool(desk_of(request).surveys.record, given, account_id=session.account.id)
    except AlreadyAnswered:
        raise PageError(409, "Sudah diisi", "Survei tiket ini sudah diisi; terima kasih.") from None
    return see_other(f"/survei/{ticket.id}")
