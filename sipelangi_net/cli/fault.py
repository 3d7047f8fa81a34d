"""``sipelangi-net fault``: the fault tickets (SOP Penanganan Gangguan Jaringan Intra Pemerintah).

``list`` and ``show`` read the record; ``step`` records a step as the CLI's account (Helpdesk or
Tim Kerja, cli/identity.py, mapped by faults/roles.py); ``report`` opens a person's report. The
fault tickets are kept in the SQLite ticket store (``--db``); a server's store is refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sipelangi_net.cli.output import add_row, say, say_json, show_table, table
from sipelangi_net.cli.ticket import DbOpt, InventoryOpt, JsonOpt, StoreOpt, opened

if TYPE_CHECKING:
    from sipelangi_net.faults.models import FaultTicket
    from sipelangi_net.faults.store import SqliteFaults
    from sipelangi_net.faults.workflow import StepTime

fault_app = typer.Typer(
    help="Fault tickets (Penanganan Gangguan): list, show, record a step, report a fault.",
    no_args_is_help=True,
)
STEPS = ("reported", "triaged", "diagnosed", "fixed", "verified", "closed")
SEVERITIES = ("outage", "degraded", "minor")


def _local(store: str | None) -> None:
    """Refuse a server's store before it is opened (the fault tickets are kept locally for now)."""
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.store import configured_location

    if (store or configured_location()).startswith(("http://", "https://")):
        raise ConfigError("fault tickets are kept in the SQLite ticket store only; use --db (not --store)")


def _faults(st: Any) -> SqliteFaults:
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.acting import unwrapped
    from sipelangi_net.tickets.sqlite import SqliteStore

    inner = unwrapped(st)
    if not isinstance(inner, SqliteStore):
        raise ConfigError("fault tickets are kept in the SQLite ticket store only; use --db (not --store)")
    return inner.faults


def _number(label: str) -> int:
    """A fault's number from ``GGN-00042``, ``ggn-42`` or ``42``; ConfigError (exit 2) otherwise."""
    import re

    from sipelangi_net.errors import ConfigError

    match = re.fullmatch(r"(?:GGN-)?0*([0-9]{1,9})", label.strip().upper())
    if not match or not int(match.group(1)):
        raise ConfigError(f"FAULT: {label!r} is not a fault number (e.g. GGN-00042)")
    return int(match.group(1))


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    from sipelangi_net.errors import ConfigError

    if value not in allowed:
        raise ConfigError(f"{what}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _where(f: FaultTicket) -> str:
    return f"{f.link.a}--{f.link.b}" if f.link else f.device


@fault_app.command("list")
def list_command(
    open_: bool = typer.Option(False, "--open", help="Only open faults."),
    closed: bool = typer.Option(False, "--closed", help="Only closed faults."),
    opd: str | None = typer.Option(
        None, "--opd", help="Only faults affecting this OPD site (sites.yaml key)."
    ),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Fault tickets by number (all, or --open / --closed)."""
    from sipelangi_net.cli.skipped import report_skipped
    from sipelangi_net.errors import ConfigError

    if open_ and closed:
        raise ConfigError("--open and --closed: give one of them, or neither for all faults")
    status: Any = "open" if open_ else "closed" if closed else None
    _local(store)
    with opened(db, store) as st:
        faults = _faults(st)
        found = faults.list(status=status, opd=opd)
        skipped = report_skipped(faults.skipped)
    if as_json:
        say_json({"faults": [f.to_json() for f in found], "skipped": skipped})
        return
    if not found:
        say("no fault tickets")
        return
    t = table("Fault tickets", ("Fault", "Step", "Severity", "Kind", "Where", "OPDs", "Opened", "Summary"))
    for f in found:
        opened_at = f.opened_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%MZ")
        add_row(t, f.label, f.step, f.severity, f.kind, _where(f), ", ".join(f.opds), opened_at, f.summary)
    show_table(t)


def _show_text(f: FaultTicket, times: tuple[StepTime, ...]) -> None:
    from sipelangi_net.faults.workflow import time_to_repair

    say(f"{f.label}  {f.step}  {f.severity} {f.kind} ({f.source})")
    say(f"summary: {f.summary}")
    say(f"where: {_where(f)}; OPDs: {', '.join(f.opds) or '-'}; tickets: {', '.join(f.tickets) or '-'}")
    say(f"opened: {f.opened_at.isoformat()}")
    repair = time_to_repair(f)
    if repair is not None:
        say(f"time to repair: {repair}")
    say("steps (time taken against the standard):")
    for i, st in enumerate(times):
        e = f.history[i] if i < len(f.history) else None
        by = f"by {e.actor.name} ({e.actor.role.value})" if e else "(under way)"
        at = st.ended.isoformat() if st.ended else "-"
        took = f"{dt.timedelta(seconds=round(st.elapsed_s))} of {dt.timedelta(seconds=st.standard_s)}"
        late = " LATE" if st.late else ""
        note = f"  {e.note}" if e and e.note else ""
        say(f"  {st.step:<10} {at}  {by}  {took}{late}{note}")
    for r in f.records:
        say(f"{r.kind} {r.at.isoformat()} by {r.actor.name} ({r.actor.role.value}): {r.summary}")


@fault_app.command("show")
def show_command(
    fault: str = typer.Argument(..., metavar="FAULT", help="The fault's number, e.g. GGN-00042."),
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """One fault: its steps timed against the standards (inventory/fault_standards.yaml) and records."""
    from sipelangi_net.faults.standards import load_standards
    from sipelangi_net.faults.workflow import step_times
    from sipelangi_net.paths import inventory_dir

    number = _number(fault)
    standards = load_standards(inventory or inventory_dir())
    _local(store)
    with opened(db, store) as st:
        found = _faults(st).get(number)
    times = step_times(found, standards, now=_now())
    if as_json:
        say_json({**found.to_json(), "step_times": [t.to_json() for t in times]})
        return
    _show_text(found, times)


@fault_app.command("step")
def step_command(
    fault: str = typer.Argument(..., metavar="FAULT", help="The fault's number, e.g. GGN-00042."),
    step: str = typer.Argument(..., metavar="STEP", help=f"The step done: {', '.join(STEPS[1:])}."),
    note: str = typer.Option("", "--note", help="What was done or found (one line)."),
    severity: str | None = typer.Option(
        None, "--severity", help="With triaged: the fault's severity (outage, degraded or minor)."
    ),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record a step of a fault as your account (Helpdesk: triaged, closed; Tim Kerja: diagnosed,
    fixed, verified)."""
    from sipelangi_net.faults.roles import fault_actor
    from sipelangi_net.tickets.acting import bound_account

    number = _number(fault)
    key: Any = _choice(step, STEPS, "STEP")
    level: Any = None if severity is None else _choice(severity, SEVERITIES, "--severity")
    _local(store)
    with opened(db, store) as st:
        faults = _faults(st)
        account = bound_account(st)
        assert account is not None  # a local store is always bound (cli/identity.py)
        moved = faults.move(
            number, key, actor=fault_actor(account, key), at=_now(), note=note, severity=level
        )
    if as_json:
        say_json(moved.to_json())
        return
    say(f"{moved.label}: {moved.step} recorded by {moved.history[-1].actor.name}")


def _own_site(account: Any, site: str, site_opd: str) -> bool:
    """Whether a pemohon's account may report for ``site``: one of its sites, or its OPD's."""
    if account.sites:
        return site in account.sites
    return bool(account.opd) and str(account.opd).casefold() == site_opd.casefold()


@fault_app.command("report")
def report_command(
    opd: str = typer.Option(..., "--opd", help="The OPD site affected (sites.yaml key, e.g. dinkes)."),
    summary: str = typer.Option(..., "--summary", help="What is wrong, in a line: 'jaringan lambat'."),
    severity: str = typer.Option("degraded", "--severity", help="outage, degraded or minor."),
    note: str = typer.Option("", "--note", help="More detail (one line)."),
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Open a fault a person reports (a pemohon for their OPD, or the helpdesk for a call)."""
    from sipelangi_net.errors import Forbidden
    from sipelangi_net.faults.roles import fault_actor
    from sipelangi_net.faults.service import person_report
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir
    from sipelangi_net.tickets.acting import bound_account

    level: Any = _choice(severity, SEVERITIES, "--severity")
    inv = load_inventory(inventory or inventory_dir())
    now = _now()
    draft = person_report(inv, opd=opd, summary=summary, at=now, severity=level, note=note)
    _local(store)
    with opened(db, store) as st:
        faults = _faults(st)
        account = bound_account(st)
        assert account is not None  # a local store is always bound (cli/identity.py)
        actor = fault_actor(account, "reported")
        if str(account.role) == "pemohon" and not _own_site(account, opd, inv.sites[opd].opd):
            raise Forbidden(
                f"account {account.username} reports faults of its own OPD's sites only, not {opd}"
            )
        made, _ = faults.open(draft, actor=actor, at=now)
    if as_json:
        say_json(made.to_json())
        return
    say(f"{made.label} opened: {made.summary} ({', '.join(made.opds)})")
