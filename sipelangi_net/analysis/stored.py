"""Plans as the ticket store keeps them (pure): the plan of a ticket, the allocations of all others."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from sipelangi_net.analysis.plan import Allocation, Plan, Schedule
from sipelangi_net.errors import WorkflowError
from sipelangi_net.tickets.models import Ticket


def plan_of(ticket: Ticket) -> Plan | None:
    """The plan of the ticket's latest successful analysis (step 4), if any."""
    for event in reversed(ticket.events):
        if event.step == 4:
            if event.outcome != "done":
                return None
            try:
                return Plan.model_validate(event.outputs["plan"])
            except (KeyError, ValidationError):
                raise WorkflowError(f"ticket {ticket.id}: step 4 holds no readable plan") from None
    return None


def schedule_of(ticket: Ticket) -> Schedule | None:
    """The agreed installation slot (step 6), else the proposed one (step 5), else the plan's."""
    for wanted in (6, 5):
        for event in reversed(ticket.events):
            if event.step == wanted and event.outcome == "done" and "start" in event.outputs:
                out = event.outputs
                return Schedule.model_validate(
                    {"start": out["start"], "end": out["end"], "label": out.get("schedule", "")}
                )
    plan = plan_of(ticket)
    return plan.schedule if plan else None


def allocations(tickets: Iterable[Ticket], *, exclude: str | None = None) -> list[Allocation]:
    """What every other analysed ticket holds: subnet, VLAN, bandwidth, installation slot."""
    out = []
    for ticket in tickets:
        if ticket.id == exclude:
            continue
        plan = plan_of(ticket)
        if plan is None:
            continue
        out.append(Allocation.of(plan, schedule=schedule_of(ticket)))
    return out
