"""``analyze``, ``prepare``, ``schedule``: SOP steps 4, 5 and 6."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.ticket import (
    ActorOpt,
    DbOpt,
    InventoryOpt,
    JsonOpt,
    StoreOpt,
    _actor,
    _deliver,
    _when,
    opened,
)


def _catalogues(inventory: Path | None) -> Any:
    from sipelangi_net.analysis.catalogues import load_catalogues
    from sipelangi_net.paths import inventory_dir

    return load_catalogues(inventory or inventory_dir())


def analyze_command(
    ticket_id: str,
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Needs analysis (SOP step 4): bandwidth, subnet, VLAN, ports, rules, equipment, availability, schedule.

    Availability is checked on the live devices. Exit 0 when everything is available, 1 when not
    (the ticket records step 4 as failed with the reasons).
    """
    from sipelangi_net.analysis.analyze import Inputs, analyze
    from sipelangi_net.analysis.facts import gather
    from sipelangi_net.analysis.stored import allocations
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.platforms import spec_for
    from sipelangi_net.tickets import workflow
    from sipelangi_net.tickets.models import Move
    from sipelangi_net.tickets.sqlite import utcnow
    from sipelangi_net.validate import printable

    cat = _catalogues(inventory)
    who = _actor(actor)
    with opened(db, store) as st:
        ticket = st.get(ticket_id)
        now = utcnow()
        workflow.plan(ticket, Move(step=4, actor=who), now=now)  # refuse before touching any device
        site = cat.inventory.sites.get(ticket.request.site)
        if site is None:
            from sipelangi_net.errors import InventoryError

            raise InventoryError(f"ticket {ticket_id}: site {ticket.request.site!r} is not in the inventory")
        devices = sorted(
            {d.name for d in cat.inventory.devices.values() if spec_for(d.platform).kind == "router"}
            | {site.distribution.device, site.access_switch.device}
        )
        facts = gather(cat.inventory.path, load_credentials(), devices)
        existing = allocations(st.tickets(), exclude=ticket_id)
        plan = analyze(Inputs(ticket_id, ticket.request, cat, facts, existing, now))
        note = "" if plan.available else printable("; ".join(plan.problems))[:2000]
        st.apply(
            ticket_id,
            Move(
                step=4,
                actor=who,
                outcome="done" if plan.available else "failed",
                note=note,
                outputs={"plan": plan.model_dump(mode="json")},
            ),
        )
    if as_json:
        print(json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        _print_plan(plan)
    if not plan.available:
        raise typer.Exit(1)


def prepare_command(
    ticket_id: str,
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Preparation (SOP step 5): the equipment list and the proposed installation slot."""
    from sipelangi_net.analysis.analyze import INSTALL_DURATION, busy
    from sipelangi_net.analysis.schedule import earliest_slot
    from sipelangi_net.analysis.stored import allocations, plan_of
    from sipelangi_net.errors import WorkflowError
    from sipelangi_net.tickets.models import Move
    from sipelangi_net.tickets.sqlite import utcnow

    cat = _catalogues(inventory)
    with opened(db, store) as st:
        ticket = st.get(ticket_id)
        plan = plan_of(ticket)
        if plan is None:
            raise WorkflowError(
                f"ticket {ticket_id}: cannot prepare: step 4 (needs analysis) has no available plan"
            )
        others = busy(allocations(st.tickets(), exclude=ticket_id))
        slot = earliest_slot(cat.calendar, duration=INSTALL_DURATION, now=utcnow(), busy=others)
        outputs = {
            "equipment": [i.model_dump(mode="json") for i in plan.equipment],
            "start": slot.start.isoformat(),
            "end": slot.end.isoformat(),
            "schedule": slot.label_id(),
        }
        ticket = st.apply(ticket_id, Move(step=5, actor=_actor(actor), outputs=outputs))
    if as_json:
        print(json.dumps(ticket.events[-1].to_json(), indent=2, ensure_ascii=False))
        return
    print(f"{ticket_id}: proposed installation slot {outputs['schedule']}")
    for item in plan.equipment:
        print(f"  {item.count:>5} {item.unit:<6} {item.item}: {item.model}")


def schedule_command(
    ticket_id: str,
    agreed: str | None = typer.Option(
        None, help="The slot agreed with the requester (ISO, with zone); default: the proposed one."
    ),
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Tell the requester the installation schedule (SOP step 6); the PIC is notified."""
    from sipelangi_net.analysis.analyze import INSTALL_DURATION, busy
    from sipelangi_net.analysis.schedule import Slot, check_slot
    from sipelangi_net.analysis.stored import allocations, schedule_of
    from sipelangi_net.errors import ConfigError, WorkflowError
    from sipelangi_net.tickets.models import Move

    cat = _catalogues(inventory)
    with opened(db, store) as st:
        ticket = st.get(ticket_id)
        start = _when(agreed, "--agreed")
        if start is None:
            proposed = schedule_of(ticket)
            if proposed is None:
                raise WorkflowError(
                    f"ticket {ticket_id}: no proposed slot; run 'prepare' first or give --agreed"
                )
            start = proposed.start
        others = busy(allocations(st.tickets(), exclude=ticket_id))
        problems = check_slot(cat.calendar, start, duration=INSTALL_DURATION, busy=others)
        if problems:
            raise ConfigError(f"--agreed {start.isoformat()}: " + "; ".join(problems))
        slot = Slot(start=start, end=start + INSTALL_DURATION)
        outputs = {
            "start": slot.start.isoformat(),
            "end": slot.end.isoformat(),
            "schedule": slot.label_id(),
            "agreed_with": ticket.request.pic.name,
        }
        ticket = st.apply(ticket_id, Move(step=6, actor=_actor(actor), outputs=outputs))
        _deliver(st)
    if as_json:
        print(json.dumps(ticket.to_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{ticket_id}: installation on {outputs['schedule']} (agreed with {outputs['agreed_with']})")


def _print_plan(plan: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    c = Console()
    verdict = "[green]TERSEDIA (available)[/]" if plan.available else "[red]TIDAK TERSEDIA (not available)[/]"
    c.print(f"[bold]{plan.ticket_id}[/] {plan.opd} ({plan.site}), {plan.users} users: {verdict}")
    bw = plan.bandwidth
    c.print(
        f"bandwidth target {bw.down_mbit} Mbit/s down / {bw.up_mbit} Mbit/s up"
        f" (demand {bw.demand_down_kbit:.0f}/{bw.demand_up_kbit:.0f} kbit/s x {bw.headroom})"
    )
    if plan.addressing:
        a = plan.addressing
        c.print(
            f"VLAN {plan.vlan}, subnet {a.subnet}, gateway {a.gateway.ip}, DHCP {a.dhcp_first}-{a.dhcp_last}"
        )
    checks = Table(title="Ketersediaan (availability)")
    for col in ("check", "", "detail"):
        checks.add_column(col)
    for ch in plan.checks:
        checks.add_row(ch.name, "[green]ok[/]" if ch.ok else "[red]NO[/]", ch.detail)
    c.print(checks)
    eq = Table(title="Daftar Perangkat (equipment)")
    for col in ("item", "model", "count", "unit"):
        eq.add_column(col)
    for item in plan.equipment:
        eq.add_row(item.item, item.model, str(item.count), item.unit)
    c.print(eq)
    for p in plan.ports:
        c.print(f"  {p.role:<8} {p.device} {p.port} vlan {p.vlan}")
    for r in plan.routes:
        c.print(f"  route    {r.device}: {r.prefix} via {r.nexthop}")
    c.print(
        f"  access   {len(plan.access_rules)} rules: "
        + ", ".join(sorted({r.name for r in plan.access_rules}))
    )
    if plan.schedule:
        c.print(f"Jadwal pemasangan (proposed): {plan.schedule.label}")
