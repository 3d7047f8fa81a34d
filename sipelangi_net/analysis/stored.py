"""Plans as the ticket store keeps them (pure): the plan of a ticket, the allocations of all others.

Every value is read back through the step's model (:mod:`sipelangi_net.tickets.outputs`): a
ticket whose stored outputs do not fit raises MalformedTicketError for work on that ticket, and
is skipped (and reported) by :func:`allocations`, which serves the work on every other ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sipelangi_net.analysis.plan import Allocation, Plan, Schedule
from sipelangi_net.errors import MalformedTicketError
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Agreed, Analysed, Prepared, Skipped, outputs_of, skip


def plan_of(ticket: Ticket) -> Plan | None:
    """The plan of the ticket's latest successful analysis (step 4), if any."""
    for event in reversed(ticket.events):
        if event.step == 4:
            if event.outcome != "done":
                return None
            return outputs_of(ticket, event, Analysed).plan
    return None


def schedule_of(ticket: Ticket) -> Schedule | None:
    """The agreed installation slot (step 6), else the proposed one (step 5), else the plan's."""
    for wanted, model in ((6, Agreed), (5, Prepared)):
        for event in reversed(ticket.events):
            if event.step == wanted and event.outcome == "done":
                out = outputs_of(ticket, event, model)
                if out.start is not None and out.end is not None:
                    return Schedule(start=out.start, end=out.end, label=out.schedule)
    plan = plan_of(ticket)
    return plan.schedule if plan else None


@dataclass(frozen=True, slots=True)
class Held:
    """What the other tickets hold, and the tickets left out because their record is malformed."""

    allocations: tuple[Allocation, ...]
    skipped: tuple[Skipped, ...] = ()


def holdings(tickets: Iterable[Ticket], *, exclude: str | None = None) -> Held:
    """What every other analysed ticket holds: subnet, VLAN, bandwidth, installation slot.

    A ticket whose stored plan or schedule does not fit the schema is skipped (a warning in the
    log, and listed in ``skipped``); it never stops the work on the others.
    """
    out = []
    skipped = []
    for ticket in tickets:
        if ticket.id == exclude:
            continue
        try:
            plan = plan_of(ticket)
            if plan is None:
                continue
            out.append(Allocation.of(plan, schedule=schedule_of(ticket)))
        except MalformedTicketError as exc:
            skipped.append(skip(ticket.id, str(exc), doing="the allocations of other tickets"))
    return Held(tuple(out), tuple(skipped))


def allocations(tickets: Iterable[Ticket], *, exclude: str | None = None) -> list[Allocation]:
    """:func:`holdings` without the skipped tickets (each still logged as a warning)."""
    return list(holdings(tickets, exclude=exclude).allocations)
