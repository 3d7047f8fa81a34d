"""The helpdesk's queue by state, forwarding a request to the Kepala Dinas (step 2) and closing a
ticket whose report the Kepala Bidang acknowledged (step 11), through the server's store as the
helpdesk's account (the same check as the API)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sipelangi_net.server.pages.ticket import recent
from sipelangi_net.server.pages.view import HELPDESK_QUEUES, queues
from sipelangi_net.server.pages.web import (
    PageError,
    check_csrf,
    not_found,
    render,
    require,
    see_other,
    use_store,
    visible_ticket,
)
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.policy import HELPDESK
from sipelangi_net.tickets.sop import Role

PER_STATUS = 20
"""The newest tickets of each status the queue shows (the oldest waiting ones are on ``/tiket``)."""
ACTIONS: dict[str, tuple[int, dict[str, str], tuple[str, ...]]] = {
    "teruskan": (2, {"forwarded_to": Role.KEPALA_DINAS.value}, ("submitted", "resubmitted")),
    "tutup": (11, {}, ("acknowledged",)),
}
"""Action -> the step, its outputs, and the statuses it is offered from (a second click records nothing)."""


def _not_now() -> PageError:
    return PageError(
        409, "Belum dapat dicatat", "Langkah ini sudah dicatat, atau tiket belum sampai pada langkah ini."
    )


router = APIRouter()


def _queue(store: ServedStore) -> list[Ticket]:
    statuses = [s for _, _, group in HELPDESK_QUEUES for s in group]
    return [t for status in statuses for t in recent(store, TicketQuery(status=status), PER_STATUS)]


@router.get("/helpdesk", include_in_schema=False)
def queue(request: HttpRequest) -> Response:
    session = require(request, (HELPDESK,))
    found = use_store(request, _queue)
    return render(request, "helpdesk.html", session=session, queues=queues(found, HELPDESK_QUEUES))


@router.post("/helpdesk/{ticket_id}/{action}", include_in_schema=False)
async def act(request: HttpRequest, ticket_id: str, action: str) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    session = await run_in_threadpool(require, request, (HELPDESK,))
    check_csrf(session, form)
    if action not in ACTIONS:
        raise not_found()
    step, outputs, statuses = ACTIONS[action]
    move = Move(step=step, actor=session.account.display_name, outputs=outputs)

    def record() -> None:
        if visible_ticket(request, session, ticket_id).status not in statuses:
            raise _not_now()
        use_store(request, lambda store: store.apply(ticket_id, move, account=session.account))

    await run_in_threadpool(record)
    return see_other("/helpdesk")
