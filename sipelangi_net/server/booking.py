"""The server's half of slot booking: a step 5 or 6 whose slot is taken is refused inside the write.

The server holds one store and serves one request at a time
(:class:`~sipelangi_net.server.store.StoreHolder`), so checking the other tickets' installations
and appending the event happen together: two engineers' runs that proposed the same slot cannot
both record it. The refusal is 409 ``slot_taken`` naming the ticket(s) that hold the slot
(:func:`sipelangi_net.analysis.booking.check_booking`). The team calendar is the inventory's
``calendar.yaml``, read on first use and kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import Request as HttpRequest

from sipelangi_net.analysis.schedule import Calendar, load_calendar
from sipelangi_net.errors import InventoryError
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.store import ServedStore, inventory
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.policy import Actor

logger = logging.getLogger(__name__)

BOOKING_STEPS = (5, 6)


def calendar(request: HttpRequest) -> Calendar:
    """The server's team calendar (``calendar.yaml`` beside its inventory); 503 when it cannot be read."""
    kept: Calendar | None = getattr(request.app.state, "calendar", None)
    if kept is not None:
        return kept
    path = inventory(request).path / "calendar.yaml"
    try:
        kept = load_calendar(path)
    except InventoryError as exc:
        logger.error("%s %s: the server's calendar: %s", request.method, request.url.path, exc)
        raise ApiError(
            503, "unavailable", "the server's calendar (calendar.yaml) cannot be read (see the server log)"
        ) from None
    request.app.state.calendar = kept
    return kept


def booking_check(
    request: HttpRequest, ticket_id: str, move: Move, caller: Actor
) -> Callable[[ServedStore], None]:
    """What to check in the store just before ``move`` is appended (nothing unless it books a slot).

    The SOP and the caller's role are checked first, so an account that may not do the step hears
    that (403, 409 workflow), never which other tickets hold a slot.
    """
    if move.step not in BOOKING_STEPS or move.outcome != "done":
        return lambda _store: None
    from sipelangi_net.analysis.booking import check_booking
    from sipelangi_net.tickets import workflow
    from sipelangi_net.tickets.sqlite import utcnow

    known = calendar(request)

    def check(store: ServedStore) -> None:
        workflow.may_do(store.get(ticket_id), move, now=utcnow(), account=caller)
        check_booking(known, ticket_id, move, store.tickets())

    return check
