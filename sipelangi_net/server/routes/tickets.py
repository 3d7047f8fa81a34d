"""Tickets: open one, list them, read one, record a step (``/api/v1/tickets``).

A new ticket's site and applications must be in the server's inventory, as on
the command line; so must a step-4 plan's devices and ports.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Query
from fastapi import Request as HttpRequest
from fastapi.responses import Response

from sipelangi_net.inventory import Inventory
from sipelangi_net.server.models import Instant, NewTicket, Status, TicketList, TicketPath
from sipelangi_net.server.paging import CURSOR_PATTERN, decode_cursor, encode_cursor
from sipelangi_net.server.routes import NOT_FOUND, REFUSED, Responses, api_router
from sipelangi_net.server.store import (
    SKIPPED_HEADER,
    inventory,
    run,
    ticket_response,
    tickets_json,
)
from sipelangi_net.tickets.intake import check_catalogues
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Key, Move, Ticket
from sipelangi_net.tickets.store import TicketStore

ANALYSIS_STEP = 4
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

_SKIPPED: Responses = {
    200: {
        "headers": {
            SKIPPED_HEADER: {
                "description": (
                    "Tickets left out of the list because their stored record cannot be served"
                    " (comma-separated ids; details in the server log)."
                ),
                "schema": {"type": "string"},
            }
        }
    }
}

router = api_router()


@router.post("/tickets", status_code=201, response_model=Ticket, tags=["tickets"], responses=REFUSED)
def create_ticket(request: HttpRequest, body: NewTicket) -> Response:
    """Open a ticket: records SOP steps 1 (request) and 2 (forwarded to the Kepala Dinas).

    The site and the applications must be in the server's inventory (422 otherwise).
    """
    known = inventory(request)

    def action(store: TicketStore) -> Ticket:
        check_catalogues(body.request, known, source="request")
        return store.create(body.request, helpdesk=body.helpdesk)

    return ticket_response(run(request, action), status=201)


@router.get("/tickets", response_model=TicketList, tags=["tickets"], responses=_SKIPPED)
def list_tickets(
    request: HttpRequest,
    *,
    status: Annotated[Status | None, Query(description="Only tickets with this status.")] = None,
    site: Annotated[Key | None, Query(description="Only requests for this site (inventory key).")] = None,
    opd: Annotated[
        str | None, Query(min_length=1, max_length=150, description="Only this OPD's requests (exact name).")
    ] = None,
    since: Annotated[Instant | None, Query(description="Created at or after (ISO 8601, with zone).")] = None,
    until: Annotated[Instant | None, Query(description="Created before (ISO 8601, with zone).")] = None,
    updated_since: Annotated[
        Instant | None, Query(description="Last recorded to at or after (ISO 8601, with zone).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Tickets per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            pattern=CURSOR_PATTERN,
            description="Where to go on: the `next` of the previous page, with the same filters.",
        ),
    ] = None,
) -> Response:
    """One page of tickets, in id order (creation order); filters combine with AND.

    Keyset pagination on the id: a ticket opened while a client pages through
    the list comes after all it has seen; none is repeated or skipped. A cursor
    is signed and bound to its filters (422 otherwise).
    """
    query = TicketQuery(
        status=status, site=site, opd=opd, since=since, until=until, updated_since=updated_since
    )
    key: bytes = request.app.state.cursor_key
    after = decode_cursor(key, cursor, query=query) if cursor else None
    page = run(request, lambda s: s.page(query, after=after, limit=limit))
    items, unserved = tickets_json(list(page.tickets))
    following = encode_cursor(key, after=page.after, query=query) if page.after else None
    body = f'{{"items":{items},"next":{json.dumps(following)},"limit":{limit}}}'
    skipped = [s.ticket_id for s in page.skipped] + unserved
    headers = {SKIPPED_HEADER: ", ".join(skipped)} if skipped else None
    return Response(body, media_type="application/json", headers=headers)


@router.get("/tickets/{ticket_id}", response_model=Ticket, tags=["tickets"], responses=NOT_FOUND)
def get_ticket(request: HttpRequest, ticket_id: TicketPath) -> Response:
    """One ticket with all its hash-chained events."""
    return ticket_response(run(request, lambda s: s.get(ticket_id), missing=f"ticket {ticket_id}: not found"))


@router.post(
    "/tickets/{ticket_id}/events",
    status_code=201,
    response_model=Ticket,
    tags=["tickets"],
    responses={**NOT_FOUND, **REFUSED},
)
def add_event(request: HttpRequest, ticket_id: TicketPath, move: Move) -> Response:
    """Record one SOP step (checked against the SOP and the step's outputs schema); returns the
    updated ticket. A plan (step 4) must name the server's inventory's devices and ports (422)."""
    known = inventory(request) if move.step == ANALYSIS_STEP and "plan" in move.outputs else None

    def action(store: TicketStore) -> Ticket:
        if known is not None:
            _check_plan(ticket_id, move, known)
        return store.apply(ticket_id, move)

    ticket = run(request, action, missing=f"ticket {ticket_id}: not found")
    return ticket_response(ticket, status=201)


def _check_plan(ticket_id: str, move: Move, known: Inventory) -> None:
    """The plan of a step-4 move fits its schema and the inventory, as before any rendering."""
    from sipelangi_net.change.render import check_in_inventory
    from sipelangi_net.tickets.outputs import Analysed, check_outputs

    checked = Analysed.model_validate(check_outputs(ticket_id, move.step, move.outcome, move.outputs))
    if checked.plan is not None:
        check_in_inventory(checked.plan, known)
