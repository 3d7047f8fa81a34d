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
from sipelangi_net.server.auth import Caller
from sipelangi_net.server.booking import booking_check
from sipelangi_net.server.disposisi import needs_sheet, record_with_sheet
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.models import Instant, NewTicket, Status, TicketList, TicketPath
from sipelangi_net.server.paging import CURSOR_PATTERN, decode_cursor, encode_cursor
from sipelangi_net.server.routes import FORBIDDEN, NOT_FOUND, REFUSED, Responses, api_router
from sipelangi_net.server.routes.documents import reports_of
from sipelangi_net.server.store import (
    SKIPPED_HEADER,
    ServedStore,
    inventory,
    run,
    ticket_response,
    tickets_json,
)
from sipelangi_net.tickets.intake import check_catalogues
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Key, Move, Ticket
from sipelangi_net.tickets.policy import Actor, may_see, same_opd, visible_opd

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


@router.post(
    "/tickets", status_code=201, response_model=Ticket, tags=["tickets"], responses={**REFUSED, **FORBIDDEN}
)
def create_ticket(request: HttpRequest, body: NewTicket, caller: Caller) -> Response:
    """Open a ticket: SOP step 1 (the request), by a pemohon of the request's OPD, or by the
    helpdesk entering a paper letter on their behalf (403 for any other account).

    The site and the applications must be in the server's inventory (422 otherwise).
    """
    known = inventory(request)

    def action(store: ServedStore) -> Ticket:
        check_catalogues(body.request, known, source="request")
        return store.create(body.request, helpdesk=body.helpdesk, account=caller)

    return ticket_response(run(request, action), status=201)


@router.get("/tickets", response_model=TicketList, tags=["tickets"], responses=_SKIPPED)
def list_tickets(
    request: HttpRequest,
    caller: Caller,
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

    A pemohon sees their own OPD's tickets only (and of those, their sites'): the list is limited to
    them, whatever ``opd`` asks for.

    Keyset pagination on the id: a ticket opened while a client pages through
    the list comes after all it has seen; none is repeated or skipped. A cursor
    is signed and bound to its filters (422 otherwise).
    """
    opd, sites = _visible(caller, opd)
    query = TicketQuery(
        status=status, site=site, opd=opd, sites=sites, since=since, until=until, updated_since=updated_since
    )
    key: bytes = request.app.state.cursor_key
    after = decode_cursor(key, cursor, query=query) if cursor else None
    page = run(request, lambda s: s.page(query, after=after, limit=limit))
    items, unserved = tickets_json([t for t in page.tickets if may_see(t, caller)])
    following = encode_cursor(key, after=page.after, query=query) if page.after else None
    body = f'{{"items":{items},"next":{json.dumps(following)},"limit":{limit}}}'
    skipped = [s.ticket_id for s in page.skipped] + unserved
    headers = {SKIPPED_HEADER: ", ".join(skipped)} if skipped else None
    return Response(body, media_type="application/json", headers=headers)


def _visible(caller: Actor, opd: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The OPD and site filters for ``caller``. A pemohon's list is their sites' tickets (the page
    is then screened by ``may_see``, which compares OPD names as ``same_opd`` does: blanks and case
    do not count), or, for an account without sites, their OPD as written; another ``opd`` matches
    nothing."""
    own = visible_opd(caller)
    if own is None:
        return opd, ()
    if opd is not None and not same_opd(opd, own):
        return "\x00", ()  # another OPD: no ticket has this name, so the page is empty
    sites = tuple(sorted(caller.sites))
    return (None, sites) if sites else (own, ())


@router.get("/tickets/{ticket_id}", response_model=Ticket, tags=["tickets"], responses=NOT_FOUND)
def get_ticket(request: HttpRequest, ticket_id: TicketPath, caller: Caller) -> Response:
    """One ticket with all its hash-chained events. A ticket the caller may not see (a pemohon and
    another OPD's ticket) is "not found", the same answer as an id that does not exist."""
    missing = f"ticket {ticket_id}: not found"

    def action(store: ServedStore) -> Ticket:
        ticket = store.get(ticket_id)
        if not may_see(ticket, caller):
            raise ApiError(404, "not_found", missing)
        return ticket

    return ticket_response(run(request, action, missing=missing))


@router.post(
    "/tickets/{ticket_id}/events",
    status_code=201,
    response_model=Ticket,
    tags=["tickets"],
    responses={**NOT_FOUND, **REFUSED, **FORBIDDEN},
)
def add_event(request: HttpRequest, ticket_id: TicketPath, move: Move, caller: Caller) -> Response:
    """Record one SOP step as the caller's account (checked against the SOP, the role the SOP names
    for the step, and the step's outputs schema); returns the updated ticket. 403 names the role
    needed, and nothing is recorded. A plan (step 4) must name the server's inventory's devices and
    ports (422). A step 5 or 6 whose installation slot other tickets already fill to the team's
    capacity is refused (409 `slot_taken`, naming them). A ticket the caller may not see is "not found".
    A step-3 decision sent without its Lembar Disposisi (``outputs.disposisi``) gets one written by the
    server (PDF + HTML, listed under the ticket's documents), its SHA-256 recorded on the event."""
    known = inventory(request) if move.step == ANALYSIS_STEP and "plan" in move.outputs else None
    reports = reports_of(request)
    missing = f"ticket {ticket_id}: not found"
    booking = booking_check(request, ticket_id, move, caller)  # a slot taken meanwhile: 409 slot_taken

    def action(store: ServedStore) -> Ticket:
        if not may_see(store.get(ticket_id), caller):
            raise ApiError(404, "not_found", missing)
        if known is not None:
            _check_plan(ticket_id, move, known)
        booking(store)
        if needs_sheet(move):  # step 3 without its Lembar Disposisi: the server writes it
            return record_with_sheet(store, ticket_id, move, caller, reports)
        return store.apply(ticket_id, move, account=caller)

    ticket = run(request, action, missing=missing)
    return ticket_response(ticket, status=201)


def _check_plan(ticket_id: str, move: Move, known: Inventory) -> None:
    """The plan of a step-4 move fits its schema and the inventory, as before any rendering."""
    from sipelangi_net.change.render import check_in_inventory
    from sipelangi_net.tickets.outputs import Analysed, check_outputs

    checked = Analysed.model_validate(check_outputs(ticket_id, move.step, move.outcome, move.outputs))
    if checked.plan is not None:
        check_in_inventory(checked.plan, known)
