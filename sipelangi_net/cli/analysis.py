"""``analyze``, ``prepare``, ``schedule``: SOP steps 4, 5 and 6."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.output import add_row, line, say, say_json, show_table, styled, table
from sipelangi_net.cli.skipped import report_skipped
from sipelangi_net.cli.ticket import (
    ActorOpt,
    DbOpt,
    InventoryOpt,
    JsonOpt,
    StoreOpt,
    _actor,
    _deliver,
    _when,
    already_stored,
    opened,
)


def _with_skipped(data: dict[str, Any], skipped: list[Any]) -> dict[str, Any]:
    """``data`` with the ``skipped`` tickets listed (only when there are any)."""
    listed = report_skipped(skipped)
    return {**data, "skipped": listed} if listed else data


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
    from sipelangi_net.analysis.steps import analyze_ticket
    from sipelangi_net.coordination import coordinating
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.tickets.sqlite import utcnow

    cat = _catalogues(inventory)
    skipped: list[Any] = []
    with opened(db, store) as st, coordinating(st) as coordinator:
        plan = analyze_ticket(
            st, ticket_id, cat, actor=_actor(actor), creds=load_credentials(), now=utcnow(), skipped=skipped,
            coordinator=coordinator,
        )  # fmt: skip
    with already_stored(ticket_id, f"step 4 of ticket {ticket_id}"):
        data = _with_skipped(plan.model_dump(mode="json"), skipped)
        if as_json:
            say_json(data)
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
    from sipelangi_net.analysis.steps import prepare_ticket, stored_plan
    from sipelangi_net.tickets.outputs import Prepared, outputs_of
    from sipelangi_net.tickets.sqlite import utcnow

    cat = _catalogues(inventory)
    skipped: list[Any] = []
    from sipelangi_net.coordination import coordinating

    with opened(db, store) as st, coordinating(st) as coordinator:
        ticket = prepare_ticket(
            st, ticket_id, cat, actor=_actor(actor), now=utcnow(), skipped=skipped, coordinator=coordinator
        )
    with already_stored(ticket_id, f"step 5 of ticket {ticket_id}"):
        data = _with_skipped(ticket.events[-1].to_json(), skipped)
        if as_json:
            say_json(data)
            return
        out = outputs_of(ticket, ticket.events[-1], Prepared)
        say(f"{ticket_id}: proposed installation slot {out.schedule}")
        for item in stored_plan(ticket, "prepare").equipment:
            say(f"  {item.count:>5} {item.unit:<6} {item.item}: {item.model}")


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
    from sipelangi_net.analysis.steps import schedule_ticket
    from sipelangi_net.tickets.outputs import Agreed, outputs_of

    cat = _catalogues(inventory)
    skipped: list[Any] = []
    from sipelangi_net.coordination import coordinating

    with opened(db, store) as st, coordinating(st) as coordinator:
        ticket = schedule_ticket(
            st, ticket_id, cat, actor=_actor(actor), agreed=_when(agreed, "--agreed"), skipped=skipped,
            coordinator=coordinator,
        )  # fmt: skip
        with already_stored(ticket_id, f"step 6 of ticket {ticket_id}"):
            _deliver(st)
    with already_stored(ticket_id, f"step 6 of ticket {ticket_id}"):
        data = _with_skipped(ticket.to_json(), skipped)
        if as_json:
            say_json(data)
        else:
            out = outputs_of(ticket, ticket.events[-1], Agreed)
            say(f"{ticket_id}: installation on {out.schedule} (agreed with {out.agreed_with})")


def _print_plan(plan: Any) -> None:
    verdict = (
        styled("TERSEDIA (available)", "green")
        if plan.available
        else styled("TIDAK TERSEDIA (not available)", "red")
    )
    line(styled(plan.ticket_id, "bold"), f" {plan.opd} ({plan.site}), {plan.users} users: ", verdict)
    bw = plan.bandwidth
    say(
        f"bandwidth target {bw.down_mbit} Mbit/s down / {bw.up_mbit} Mbit/s up"
        f" (demand {bw.demand_down_kbit:.0f}/{bw.demand_up_kbit:.0f} kbit/s x {bw.headroom})"
    )
    if plan.addressing:
        a = plan.addressing
        say(f"VLAN {plan.vlan}, subnet {a.subnet}, gateway {a.gateway.ip}, DHCP {a.dhcp_first}-{a.dhcp_last}")
    checks = table("Ketersediaan (availability)", ("check", "", "detail"))
    for ch in plan.checks:
        add_row(checks, ch.name, styled("ok", "green") if ch.ok else styled("NO", "red"), ch.detail)
    show_table(checks)
    eq = table("Daftar Perangkat (equipment)", ("item", "model", "count", "unit"))
    for item in plan.equipment:
        add_row(eq, item.item, item.model, str(item.count), item.unit)
    show_table(eq)
    for p in plan.ports:
        say(f"  {p.role:<8} {p.device} {p.port} vlan {p.vlan}")
    for r in plan.routes:
        say(f"  route    {r.device}: {r.prefix} via {r.nexthop}")
    say(
        f"  access   {len(plan.access_rules)} rules: "
        + ", ".join(sorted({r.name for r in plan.access_rules}))
    )
    if plan.schedule:
        say(f"Jadwal pemasangan (proposed): {plan.schedule.label}")
