"""The pemohon's own ends of a request: revise and resubmit a deferred one (step 1 ``resubmit``,
with the revised letter's PDF, kept by hash like the first), or withdraw it (step 11 ``withdraw``,
with the reason). Both go through the server's store as the pemohon's account (the same check as
the API); each is offered only from the statuses the SOP allows it from."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from sipelangi_net.accounts.sessions import WebSession
from sipelangi_net.server.pages.letters import LetterRefused, keep_letter
from sipelangi_net.server.pages.pemohon import letter_bytes
from sipelangi_net.server.pages.ticket import RESUBMIT_FROM, WITHDRAW_FROM
from sipelangi_net.server.pages.web import (
    PageError,
    check_csrf,
    pages_of,
    require,
    see_other,
    text_field,
    use_store,
    visible_ticket,
)
from sipelangi_net.tickets.models import Letter, Move
from sipelangi_net.tickets.policy import PEMOHON

router = APIRouter()


def _invalid(message: str) -> PageError:
    return PageError(422, "Isian tidak sah", message)


def _record(
    request: HttpRequest, session: WebSession, ticket_id: str, move: Move, allowed: tuple[str, ...]
) -> None:
    if visible_ticket(request, session, ticket_id).status not in allowed:
        raise PageError(
            409, "Belum dapat dicatat", "Permohonan ini tidak dapat diubah pada statusnya sekarang."
        )
    use_store(request, lambda store: store.apply(ticket_id, move, account=session.account))


@router.post("/permohonan/{ticket_id}/tarik", include_in_schema=False)
async def withdraw(request: HttpRequest, ticket_id: str) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    session = await run_in_threadpool(require, request, (PEMOHON,))
    check_csrf(session, form)
    reason = text_field(form, "alasan")
    if not reason:
        raise _invalid("Tuliskan alasan penarikan permohonan.")
    move = Move(step=11, actor=session.account.display_name, outcome="withdraw", note=reason)
    await run_in_threadpool(_record, request, session, ticket_id, move, WITHDRAW_FROM)
    return see_other(f"/tiket/{ticket_id}")


@router.post("/permohonan/{ticket_id}/ajukan-ulang", include_in_schema=False)
async def resubmit(request: HttpRequest, ticket_id: str) -> Response:
    async with request.form(max_files=1, max_fields=10) as form:
        session = await run_in_threadpool(require, request, (PEMOHON,))
        check_csrf(session, form)
        revised, number, date = (text_field(form, n) for n in ("perbaikan", "letter_number", "letter_date"))
        data = await letter_bytes(form)
    if not revised:
        raise _invalid("Tuliskan apa yang diperbaiki.")
    try:
        digest = await run_in_threadpool(keep_letter, pages_of(request).letters, data)
        letter = Letter.model_validate({"number": number, "date": date, "scan_sha256": digest})
    except LetterRefused as exc:
        raise _invalid(str(exc)) from None
    except ValidationError:
        raise _invalid("Isi nomor dan tanggal surat perbaikan.") from None
    outputs = {"letter": letter.model_dump(mode="json")}
    move = Move(step=1, actor=session.account.display_name, outcome="resubmit", note=revised, outputs=outputs)
    await run_in_threadpool(_record, request, session, ticket_id, move, RESUBMIT_FROM)
    return see_other(f"/tiket/{ticket_id}")
