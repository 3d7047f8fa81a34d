"""``analyze``, ``prepare``, ``schedule``: SOP steps 4, 5 and 6."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

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
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.tickets.sqlite import utcnow

    cat = _catalogues(inventory)
    skipped: list[Any] = []
    with opened(db, store) as st:
        plan = analyze_ticket(
            st, ticket_id, cat, actor=_actor(actor), creds=load_credentials(), now=utcnow(), skipped=skipped
        )
    data = _with_skipped(plan.model_dump(mode="json"), skipped)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
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
    with opened(db, store) as st:
        ticket = prepare_ticket(st, ticket_id, cat, actor=_actor(actor), now=utcnow(), skipped=skipped)
    data = _with_skipped(ticket.events[-1].to_json(), skipped)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out = outputs_of(ticket, ticket.events[-1], Prepared)
    print(f"{ticket_id}: proposed installation slot {out.schedule}")
    for item in stored_plan(ticket, "prepare").equipment:
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
    from sipelangi_net.analysis.steps import schedule_ticket
    from sipelangi_net.tickets.outputs import Agreed, outputs_of

    cat = _catalogues(inventory)
    skipped: list[Any] = []
    with opened(db, store) as st:
        ticket = schedule_ticket(
            st, ticket_id, cat, actor=_actor(actor), agreed=_when(agreed, "--agreed"), skipped=skipped
        )
        _deliver(st)
    data = _with_skipped(ticket.to_json(), skipped)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        out = outputs_of(ticket, ticket.events[-1], Agreed)
        print(f"{ticket_id}: installation on {out.schedule} (agreed with {out.agreed_with})")


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
