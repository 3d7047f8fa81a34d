"""``sipelangi-net monitor``: watch every provisioned OPD's path (docs/faults.md, "The monitor").

Long-lived: a round every ``--interval`` seconds until SIGTERM or SIGINT (then the sessions are
closed and it exits 0), ``--rounds N`` rounds, or one with ``--once``. ``--json`` prints one JSON
document per round and line. Each round's decisions go on the fault record
(sipelangi_net.faults.service.apply_decisions: faults opened, observed, closed, with their mails
queued) unless ``--no-faults``. ``monitor schedule`` writes its systemd unit.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.output import say, say_json
from sipelangi_net.cli.ticket import DbOpt, InventoryOpt, JsonOpt, StoreOpt, opened

monitor_app = typer.Typer(
    help="Watch every provisioned OPD: reachability, interface state and errors, throughput;"
    " faults open and close from what it sees. Without a subcommand: run the monitor.",
    invoke_without_command=True,
)


def round_json(result: Any, report: Any, applied: Any = None) -> dict[str, Any]:
    """One round as a JSON document (what ``--json`` prints per line)."""
    probe = report.probe
    return {
        "faults": applied.to_json() if applied is not None else None,
        "round": report.number,
        "at": report.at.isoformat(),
        "seconds": round(report.seconds, 3),
        "observed": len(report.observations),
        "problems": sorted(f"{o.target}={o.status}" for o in report.observations if o.status != "up"),
        "silent": dict(sorted(report.silent.items())),
        "probe": None
        if probe is None
        else {"site": probe.site, "mbps": probe.mbps, "low": probe.low, "error": probe.error},
        "decisions": [
            {
                "action": d.action,
                "target": str(d.fault.target),
                "kind": d.fault.kind,
                "opened_at": d.fault.opened_at.isoformat(),
                "opds": list(d.fault.opds),
                "folded": [str(t) for t in d.fault.folded],
                "flaps": d.fault.flaps,
                "repair_seconds": d.repair_seconds,
                "into": f"{d.into[0]}:{d.into[1]}" if d.into else None,
            }
            for d in result.decisions
        ],
    }


def _recorder(records: Any, tree: Any) -> Callable[[Any], Any]:
    """Each round's decisions on the fault record; a store that refuses a round is logged, and the
    monitor goes on (the faults still open are decided again next round)."""
    import logging
    import socket

    from sipelangi_net.errors import SipelangiError
    from sipelangi_net.faults.service import apply_decisions

    name = socket.gethostname()

    def record(result: Any) -> Any:
        if not result.decisions:
            return None
        try:
            return apply_decisions(records, result, tree=tree, monitor_name=name)
        except SipelangiError as exc:
            logging.getLogger(__name__).error("fault record: this round's decisions not recorded: %s", exc)
            return None

    return record


def _printer(as_json: bool, record: Callable[[Any], Any] | None) -> Callable[[Any, Any], None]:
    def show(result: Any, report: Any) -> None:
        applied = record(result) if record is not None else None
        if as_json:
            say_json(round_json(result, report, applied), indent=None, flush=True)
            return
        if applied is not None:
            for verb, faults in (("opened", applied.opened), ("closed", applied.closed)):
                for f in faults:
                    say(f"fault {f.label} {verb}: {f.summary}")
            for error in getattr(applied, "errors", ()):
                say(f"fault record refused: {error}")
        changes = [d for d in result.decisions if d.action != "still_open"]
        say(
            f"round {report.number}: {report.seconds:.2f} s, {len(report.observations)} observed,"
            f" {len(report.silent)} device(s) silent, {len(changes)} change(s)"
        )
        for d in changes:
            say(
                f"  {d.action} {d.fault.target} {d.fault.kind}"
                + (f" (OPD {', '.join(d.fault.opds)})" if d.fault.opds else "")
            )

    return show


@contextmanager
def _stopping() -> Iterator[threading.Event]:
    """SIGTERM and SIGINT set the event (the loop ends after its round); the old handlers return after."""
    stop = threading.Event()
    old = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


@monitor_app.callback()
def monitor_command(
    ctx: typer.Context,
    interval: float = typer.Option(60.0, min=0.5, max=3600, help="Seconds between the starts of two rounds."),
    rounds: int | None = typer.Option(None, min=1, help="Stop after this many rounds."),
    once: bool = typer.Option(False, "--once", help="One round, then exit."),
    throughput_every: int = typer.Option(5, min=0, help="Rounds between throughput probes (0: none)."),
    read_timeout: float = typer.Option(5.0, min=0.5, max=60, help="Seconds a device's read may take."),
    no_faults: bool = typer.Option(False, "--no-faults", help="Only print the decisions; record no fault."),
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Run the monitor (see docs/faults.md, 'The monitor')."""
    if ctx.invoked_subcommand is not None:
        return
    from sipelangi_net.cli.environment import chosen_environment
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.faults.monitor import MonitorSettings
    from sipelangi_net.faults.watching import opd_watches, watching
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir
    from sipelangi_net.system import require_linux

    require_linux("the monitor (its ICMP probe)")  # before anything is read: Pinger.open says it too
    inv = load_inventory(inventory or inventory_dir())
    settings = MonitorSettings(
        interval=interval, read_timeout=read_timeout, throughput_every=throughput_every
    )
    environment = chosen_environment(inv)
    with contextlib.ExitStack() as stack:
        st = stack.enter_context(opened(db, store))
        opds = opd_watches(inv, st.tickets())
        records = None if no_faults else _records(st)
        stop = stack.enter_context(_stopping())
        mon = stack.enter_context(watching(inv, opds, environment, load_credentials(), settings=settings))
        show = _printer(as_json, None if records is None else _recorder(records, mon.watch.tree))
        mon.run(show, stop=stop, rounds=1 if once else rounds)


def _records(st: Any) -> Any:
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.acting import unwrapped
    from sipelangi_net.tickets.sqlite import SqliteStore

    inner = unwrapped(st)
    if not isinstance(inner, SqliteStore):
        raise ConfigError("fault tickets are kept in the SQLite ticket store only; use --db or --no-faults")
    return inner.faults


@monitor_app.command("schedule")
def schedule_command(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the unit file."),
    interval: float = typer.Option(60.0, min=0.5, max=3600, help="Seconds between the starts of two rounds."),
    workdir: Path | None = typer.Option(
        None, help="Working directory of the monitor (default: the workspace)."
    ),
    exe: Path | None = typer.Option(None, help="The sipelangi-net program (default: this installation's)."),
) -> None:
    """Write the systemd service of the long-lived monitor (Restart=on-failure)."""
    from sipelangi_net.change.render import render
    from sipelangi_net.cli.units import unit_paths

    context: dict[str, Any] = {**unit_paths(exe, workdir), "interval": f"{interval:g}"}
    out.mkdir(parents=True, exist_ok=True)
    unit = out / "sipelangi-net-monitor.service"
    unit.write_text(render("monitor/sipelangi-net-monitor.service.j2", **context), encoding="utf-8")
    say(unit)
