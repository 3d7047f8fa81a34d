"""``sipelangi-net monitor``: watch every provisioned OPD's path (docs/faults.md, "The monitor").

Long-lived: a round every ``--interval`` seconds until SIGTERM or SIGINT (then the sessions are
closed and it exits 0), ``--rounds N`` rounds, or one with ``--once``. ``--json`` prints one JSON
document per round and line. ``monitor schedule`` writes its systemd unit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.output import json_text, say
from sipelangi_net.cli.ticket import DbOpt, InventoryOpt, JsonOpt, StoreOpt, opened

monitor_app = typer.Typer(
    help="Watch every provisioned OPD: reachability, interface state and errors, throughput;"
    " faults open and close from what it sees. Without a subcommand: run the monitor.",
    invoke_without_command=True,
)


def round_json(result: Any, report: Any) -> dict[str, Any]:
    """One round as a JSON document (what ``--json`` prints per line)."""
    probe = report.probe
    return {
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


def _printer(as_json: bool) -> Callable[[Any, Any], None]:
    def show(result: Any, report: Any) -> None:
        if as_json:
            typer.echo(json_text(round_json(result, report), indent=None))
            return
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

    inv = load_inventory(inventory or inventory_dir())
    with opened(db, store) as st:
        opds = opd_watches(inv, st.tickets())
    settings = MonitorSettings(
        interval=interval, read_timeout=read_timeout, throughput_every=throughput_every
    )
    show = _printer(as_json)
    with (
        _stopping() as stop,
        watching(inv, opds, chosen_environment(inv), load_credentials(), settings=settings) as mon,
    ):
        mon.run(show, stop=stop, rounds=1 if once else rounds)


@monitor_app.command("schedule")
def schedule_command(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the unit file."),
    interval: float = typer.Option(60.0, min=0.5, max=3600, help="Seconds between the starts of two rounds."),
    workdir: Path = typer.Option(Path.cwd(), help="Working directory of the monitor (the project)."),
    exe: Path | None = typer.Option(None, help="The sipelangi-net program (default: this installation's)."),
) -> None:
    """Write the systemd service of the long-lived monitor (Restart=on-failure)."""
    import re
    import sys

    from sipelangi_net.change.render import render
    from sipelangi_net.errors import ConfigError

    program = exe or Path(sys.executable).with_name("sipelangi-net")
    for name, path in (("--exe", program), ("--workdir", workdir.absolute())):
        if not re.fullmatch(r"[A-Za-z0-9_./+-]+", str(path)):
            raise ConfigError(f"{name}: {str(path)!r}: use a path of letters, digits and ._/+- only")
    context: dict[str, Any] = {
        "exe": str(program),
        "workdir": str(workdir.absolute()),
        "interval": f"{interval:g}",
    }
    out.mkdir(parents=True, exist_ok=True)
    unit = out / "sipelangi-net-monitor.service"
    unit.write_text(render("monitor/sipelangi-net-monitor.service.j2", **context), encoding="utf-8")
    say(unit)
