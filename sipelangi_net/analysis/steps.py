"""SOP steps 4, 5 and 6 on a ticket: analyse, prepare, schedule — each recorded on the ticket.

The CLI commands (``analyze``, ``prepare``, ``schedule``) and the provisioning playbook call
these; the pure work is in :mod:`sipelangi_net.analysis.analyze` and
:mod:`sipelangi_net.analysis.schedule`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from sipelangi_net.analysis.analyze import INSTALL_DURATION, Inputs, analyze, busy
from sipelangi_net.analysis.booking import BOOKING_TRIES, CALENDAR_LOCK, CALENDAR_WAIT_S, taken_by
from sipelangi_net.analysis.catalogues import Catalogues
from sipelangi_net.analysis.plan import Allocation, Plan
from sipelangi_net.analysis.schedule import Slot, check_slot, earliest_slot
from sipelangi_net.analysis.stored import holdings, plan_of, schedule_of
from sipelangi_net.coordination import LOCAL, Coordinator
from sipelangi_net.errors import ConfigError, InventoryError, SlotTaken, WorkflowError
from sipelangi_net.inventory import Inventory, routing_devices
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.acting import bound_account
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.outputs import Skipped
from sipelangi_net.validate import printable

log = logging.getLogger(__name__)
ADDRESS_LOCK = ("ipam", "opd-pool")
"""Held from reading the other tickets' allocations to recording the plan (step 4)."""
ADDRESS_WAIT_S = 60.0
"""How long an analysis waits for another's (its allocation and record: well under a second)."""


def others(st: Any, ticket_id: str, skipped: list[Skipped] | None = None) -> tuple[Allocation, ...]:
    """What every other ticket of the store holds; malformed ones are skipped (added to ``skipped``)."""
    held = holdings(st.tickets(), exclude=ticket_id)
    if skipped is not None:
        skipped.extend([*getattr(st, "skipped", ()), *held.skipped])  # the store's unreadable rows too
    return held.allocations


def site_devices(inventory: Inventory, site_key: str) -> list[str]:
    """The devices whose live state the analysis of a request at ``site_key`` reads: every device
    that routes, by its role (:func:`~sipelangi_net.inventory.routing_devices`: an Arista or
    MikroTik core too, whose subnets are in use), and the site's gateway and access switch."""
    site = inventory.sites.get(site_key)
    if site is None:
        raise InventoryError(f"site {site_key!r} is not in the inventory")
    return sorted(routing_devices(inventory) | {site.distribution.device, site.access_switch.device})


def facts_devices(cat: Catalogues, ticket: Ticket) -> list[str]:
    """:func:`site_devices` of the ticket's site."""
    try:
        return site_devices(cat.inventory, ticket.request.site)
    except InventoryError as exc:
        raise InventoryError(f"ticket {ticket.id}: {exc}") from None


def analyze_ticket(
    st: Any,
    ticket_id: str,
    cat: Catalogues,
    *,
    actor: str,
    creds: Any,
    now: dt.datetime,
    record: bool = True,
    started: dt.datetime | None = None,
    timings: dict[str, float] | None = None,
    skipped: list[Skipped] | None = None,
    coordinator: Coordinator = LOCAL,
) -> Plan:
    """Step 4: gather live facts, analyse, and (``record``) store the plan as step 4 done or failed.

    ``started``: when the step began (default: when the previous step ended); ``timings`` gets
    the seconds spent reading the devices added under ``device_io``; ``skipped`` the other
    tickets left out of the allocations because their stored record is malformed.

    The other tickets' allocations are read, the plan made and recorded under the address lock
    (:data:`ADDRESS_LOCK`, through ``coordinator``): two analyses at once never give two OPDs the
    same subnet or VLAN (each sees what the other recorded).
    """
    from sipelangi_net.analysis.facts import gather

    ticket = st.get(ticket_id)
    account = bound_account(st)
    workflow.may_do(ticket, Move(step=4, actor=actor), now=now, account=account)  # before any device
    t0 = time.monotonic()
    facts = gather(cat.inventory.path, creds, facts_devices(cat, ticket))
    if timings is not None:
        timings["device_io"] = timings.get("device_io", 0.0) + time.monotonic() - t0
    with coordinator.holding([ADDRESS_LOCK], purpose=f"analyze {ticket_id}", wait=ADDRESS_WAIT_S):
        existing = others(st, ticket_id, skipped)
        plan = analyze(Inputs(ticket_id, ticket.request, cat, facts, list(existing), now))
        if record:
            note = "" if plan.available else printable("; ".join(plan.problems))[:2000]
            outcome = "done" if plan.available else "failed"
            outputs = {"plan": plan.model_dump(mode="json")}
            move = Move(step=4, actor=actor, outcome=outcome, note=note, outputs=outputs, started_at=started)
            st.apply(ticket_id, move)
    return plan


def stored_plan(ticket: Ticket, doing: str) -> Plan:
    plan = plan_of(ticket)
    if plan is None:
        raise WorkflowError(
            f"ticket {ticket.id}: cannot {doing}: step 4 (needs analysis) has no available plan"
        )
    return plan


def proposed_slot(
    st: Any, ticket_id: str, cat: Catalogues, *, now: dt.datetime, skipped: list[Skipped] | None = None
) -> Slot:
    """The earliest installation slot free of holidays and of other tickets' installations."""
    taken = busy(list(others(st, ticket_id, skipped)))
    return earliest_slot(cat.calendar, duration=INSTALL_DURATION, now=now, busy=taken)


def prepare_ticket(
    st: Any,
    ticket_id: str,
    cat: Catalogues,
    *,
    actor: str,
    now: dt.datetime,
    started: dt.datetime | None = None,
    skipped: list[Skipped] | None = None,
    coordinator: Coordinator = LOCAL,
) -> Ticket:
    """Step 5: the equipment list and the proposed installation slot.

    The slot is found and recorded under the calendar lock; a slot the store refuses as taken
    (another run booked it meanwhile, SlotTaken) is proposed again from what the store holds now,
    up to :data:`BOOKING_TRIES` times.
    """
    plan = stored_plan(st.get(ticket_id), "prepare")
    equipment = [i.model_dump(mode="json") for i in plan.equipment]

    def attempt() -> Ticket:
        seen: list[Skipped] = []  # the tickets left out of this look at the calendar
        ticket = _propose(st, ticket_id, cat, equipment, actor=actor, now=now, started=started, skipped=seen)
        if skipped is not None:
            skipped.extend(seen)
        return ticket

    with coordinator.holding([CALENDAR_LOCK], purpose=f"prepare {ticket_id}", wait=CALENDAR_WAIT_S):
        for _ in range(BOOKING_TRIES - 1):
            try:
                return attempt()
            except SlotTaken as exc:
                log.info("%s: %s; proposing the next free slot", ticket_id, exc)
        return attempt()


def _propose(
    st: Any,
    ticket_id: str,
    cat: Catalogues,
    equipment: list[Any],
    *,
    actor: str,
    now: dt.datetime,
    started: dt.datetime | None,
    skipped: list[Skipped] | None = None,
) -> Ticket:
    slot = proposed_slot(st, ticket_id, cat, now=now, skipped=skipped)
    outputs = {
        "equipment": equipment,
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "schedule": slot.label_id(),
    }
    ticket: Ticket = st.apply(ticket_id, Move(step=5, actor=actor, outputs=outputs, started_at=started))
    return ticket


def schedule_ticket(
    st: Any,
    ticket_id: str,
    cat: Catalogues,
    *,
    actor: str,
    agreed: dt.datetime | None = None,
    started: dt.datetime | None = None,
    skipped: list[Skipped] | None = None,
    coordinator: Coordinator = LOCAL,
) -> Ticket:
    """Step 6: the slot agreed with the requester (default: the proposed one); the PIC is notified.

    Checked and recorded under the calendar lock. Without ``agreed``, a proposed slot that another
    ticket has taken since (or the store refuses as taken) is a SlotTaken naming that ticket and
    saying to run ``prepare`` again; a given ``agreed`` slot that does not fit is a ConfigError.
    """
    with coordinator.holding([CALENDAR_LOCK], purpose=f"schedule {ticket_id}", wait=CALENDAR_WAIT_S):
        ticket = st.get(ticket_id)
        start = agreed if agreed is not None else _proposed_start(ticket)
        taken = busy(list(others(st, ticket_id, skipped)))
        problems = check_slot(cat.calendar, start, duration=INSTALL_DURATION, busy=taken)
        if problems and agreed is not None:
            raise ConfigError(f"--agreed {start.isoformat()}: " + "; ".join(problems))
        if problems:
            raise _proposed_taken(st, ticket_id, cat, start, "; ".join(problems))
        try:
            return _agree(st, ticket, start, actor=actor, started=started)
        except SlotTaken as exc:
            if agreed is not None:
                raise ConfigError(f"--agreed {start.isoformat()}: {exc}") from None
            raise _proposed_taken(st, ticket_id, cat, start, str(exc)) from None


def _proposed_start(ticket: Ticket) -> dt.datetime:
    proposed = schedule_of(ticket)
    if proposed is None:
        raise WorkflowError(f"ticket {ticket.id}: no proposed slot; run 'prepare' first or give --agreed")
    return proposed.start


def _proposed_taken(st: Any, ticket_id: str, cat: Catalogues, start: dt.datetime, why: str) -> SlotTaken:
    """The proposed slot cannot be agreed any more: who took it (when known), and what to do."""
    takers = taken_by(cat.calendar, ticket_id, start, start + INSTALL_DURATION, st.tickets())
    who = f" was taken by {', '.join(takers)}" if takers else f" cannot be agreed ({why})"
    return SlotTaken(
        f"ticket {ticket_id}: the proposed installation slot {start.isoformat()}{who};"
        f" run 'sipelangi-net prepare {ticket_id}' again to propose a free one, then schedule"
    )


def _agree(st: Any, ticket: Ticket, start: dt.datetime, *, actor: str, started: dt.datetime | None) -> Ticket:
    slot = Slot(start=start, end=start + INSTALL_DURATION)
    outputs = {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "schedule": slot.label_id(),
        "agreed_with": ticket.request.pic.name,
    }
    updated: Ticket = st.apply(ticket.id, Move(step=6, actor=actor, outputs=outputs, started_at=started))
    return updated
