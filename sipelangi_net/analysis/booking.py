"""Booking installation slots (SOP steps 5 and 6) so that two runs never book the same one.

Two guards, one on each side:

- the client computes a slot and records it under the ``calendar`` lock
  (:data:`CALENDAR_LOCK`, held through the run's coordinator: this machine's lock and, with a
  SiPelangi server, its lease), so runs wait for each other instead of both proposing the slot
  that was free when they looked;
- the store refuses, inside its write, a step 5 or 6 whose slot the other tickets' installations
  already fill to the team's capacity (:func:`check_booking`, run by the server under its store
  lock), with :class:`~sipelangi_net.errors.SlotTaken` naming them. The client then proposes the
  next free slot (step 5) or says which ticket took the proposed one (step 6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pydantic import ValidationError

from sipelangi_net.analysis.schedule import Calendar, crowding
from sipelangi_net.analysis.stored import holdings
from sipelangi_net.errors import SlotTaken
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.outputs import Agreed, Prepared

CALENDAR_LOCK = ("calendar", "installations")
CALENDAR_WAIT_S = 60.0
"""How long a step 5 or 6 waits for another run's booking (a few seconds each) to finish."""
BOOKING_TRIES = 5
"""How many slots step 5 proposes before it gives up, when each is taken as it is recorded."""
_SLOTS: dict[int, type[Prepared] | type[Agreed]] = {5: Prepared, 6: Agreed}


def taken_by(
    calendar: Calendar, ticket_id: str, start: dt.datetime, end: dt.datetime, tickets: Iterable[Ticket]
) -> tuple[str, ...]:
    """The other tickets (and bookings) that leave no room for ``ticket_id`` in [start, end)."""
    held = holdings(tickets, exclude=ticket_id).allocations
    others = [(a.ticket_id, a.schedule.start, a.schedule.end) for a in held if a.schedule is not None]
    return crowding(calendar, start, end, others)


def check_booking(calendar: Calendar, ticket_id: str, move: Move, tickets: Iterable[Ticket]) -> None:
    """:class:`SlotTaken` when ``move`` books a slot (step 5 or 6 done) that ``tickets`` already fill.

    A move whose outputs do not fit its step is left to the store's own check (which refuses it).
    """
    model = _SLOTS.get(move.step)
    if model is None or move.outcome != "done":
        return
    try:
        slot = model.model_validate(move.outputs)
    except ValidationError:
        return
    if slot.start is None or slot.end is None:
        return
    takers = taken_by(calendar, ticket_id, slot.start, slot.end, tickets)
    if takers:
        raise SlotTaken(
            f"ticket {ticket_id}: the installation slot {slot.start.isoformat()} to {slot.end.isoformat()}"
            f" is taken by {', '.join(takers)} (team_capacity {calendar.team_capacity});"
            " nothing was recorded: propose another slot"
        )
