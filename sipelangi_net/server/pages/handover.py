"""The pemohon's agreement to the berita acara (before SOP step 9).

Once the bandwidth test passed (step 8, status ``tested``), the ticket's page shows a pemohon of its
OPD what is handed over (the installation and the test against the plan) and asks them to agree,
with their name and NIP, once (:mod:`sipelangi_net.accounts.cosigns`). The Tim Kerja's form for
step 9 then carries the pemohon's name and NIP, and shows when they agreed; the signed paper's scan
is still what step 9 records. The berita acara itself is downloaded from the ticket's page once
step 9 is recorded.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sipelangi_net.accounts.cosigns import AlreadyAgreed, Cosign, Cosigns
from sipelangi_net.documents.indonesian import check_nip
from sipelangi_net.errors import DocumentInputError
from sipelangi_net.server.pages.web import (
    PageError,
    check_csrf,
    line_field,
    require,
    see_other,
    text_field,
    visible_ticket,
)
from sipelangi_net.tickets.policy import PEMOHON
from sipelangi_net.tickets.sqlite import utcnow

AGREE_FROM = ("tested",)
"""The bandwidth test passed and step 9 is not recorded yet."""
MAX_NAME = 200
router = APIRouter()


def cosigns_of(request: HttpRequest) -> Cosigns:
    found: Cosigns = request.app.state.cosigns
    return found


@router.post("/tiket/{ticket_id}/berita-acara/setuju", include_in_schema=False)
async def agree(request: HttpRequest, ticket_id: str) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    session = await run_in_threadpool(require, request, (PEMOHON,))
    check_csrf(session, form)
    ticket = await run_in_threadpool(visible_ticket, request, session, ticket_id)  # another OPD's: 404
    if ticket.status not in AGREE_FROM:
        raise PageError(
            409, "Belum dapat disetujui", "Berita acara dapat disetujui setelah uji bandwidth lulus."
        )
    name = line_field(form, "nama", "Nama", MAX_NAME, required=True)
    try:
        nip = check_nip(text_field(form, "nip"), field="NIP")
    except DocumentInputError as exc:
        raise PageError(422, "Isian tidak sah", "NIP tidak sah (18 angka).", str(exc)) from None
    if text_field(form, "periksa") != "ya":
        raise PageError(
            422, "Isian tidak sah", "Centang pernyataan bahwa hasil pemasangan dan uji sudah diperiksa."
        )
    given = Cosign(ticket.id, name, nip, ticket.events[-1].hash, utcnow())
    try:
        await run_in_threadpool(cosigns_of(request).record, given, account_id=session.account.id)
    except AlreadyAgreed:
        raise PageError(409, "Sudah disetujui", "Berita acara tiket ini sudah Anda setujui.") from None
    return see_other(f"/tiket/{ticket.id}")
