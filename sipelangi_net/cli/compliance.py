"""``sipelangi-net compliance``: nightly compliance check and configuration backup.

Exit codes: 0 every checked device is compliant; 8 drift found (every device was read);
5 at least one device was unreachable or its config could not be compared (whatever the
others); 3 another compliance run holds the lock; 2 bad input (filters, inventory, template).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.output import say, say_json, say_lines
from sipelangi_net.cli.ticket import DbOpt, InventoryOpt, JsonOpt, StoreOpt, opened

EXIT_DRIFT = 8
EXIT_DEVICES = 5

compliance_app = typer.Typer(
    help="Compliance of the devices with their intended config (baseline + provisioned tickets), with"
    " backups, reports, fault tickets and remediation. Without a subcommand: run the check.",
    invoke_without_command=True,
)


def _inventory(inventory: Path | None) -> tuple[Path, Any]:
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir

    folder = inventory or inventory_dir()
    return folder, load_inventory(folder)


def _tz(inv: Any) -> dt.tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(inv.defaults.data.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _sync_faults(db: Path | None, store: str | None, report: Any) -> Any:
    from sipelangi_net.compliance.faults import sync_faults
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.acting import unwrapped
    from sipelangi_net.tickets.sqlite import SqliteStore

    with opened(db, store) as bound:
        st = unwrapped(bound)
        if not isinstance(st, SqliteStore):
            raise ConfigError(
                "fault tickets are kept in the SQLite ticket store only; use --db or --no-faults"
            )
        return sync_faults(st.faults, report, now=report.finished_at)


def _show_remediation(report: Any, names: list[str], *, err: bool) -> None:
    """The commands about to be pushed (on stderr under --json, so stdout stays one document)."""
    for d in report.devices:
        if d.device in names:
            say(f"--- {d.device} ({d.platform}): {len(d.remediation)} commands", err=err)
            for line in d.remediation:
                say(f"    {line}", err=err)


def _remediate(ctx: dict[str, Any], report: Any, yes: bool, confirm_timeout: int) -> Any:
    """Push the remediation to the drifted devices of the run, then check them again.

    The devices' locks are held while it pushes (this machine's, and with ``--store URL`` the
    server's leases): never at the same time as a deploy or another remediation on them.
    """
    from sipelangi_net.compliance.intended import intended_configs, provisioned
    from sipelangi_net.compliance.remediate import remediate
    from sipelangi_net.coordination import coordinating
    from sipelangi_net.drivers.registry import open_driver

    names = [d.device for d in report.devices if d.status == "drift"]
    if not names:
        return report, None
    _show_remediation(report, names, err=ctx["as_json"])
    if not yes and not typer.confirm(f"Apply these commands to {len(names)} device(s)?", default=False):
        say("remediation skipped")
        return report, None
    inv = ctx["inventory"]
    intended = intended_configs(inv, provisioned(ctx["tickets"]), devices=names)
    devices = [("device", n) for n in names]
    with contextlib.ExitStack() as held:
        st = held.enter_context(opened(ctx["db"], ctx["store"]))
        coordinator = held.enter_context(coordinating(st))
        held.enter_context(coordinator.holding(devices, purpose="compliance remediation"))
        pushed = remediate(
            intended,
            inv,
            ctx["creds"],
            driver_factory=open_driver,
            backups=ctx["folder"] / "remediation-backups",
            confirm_seconds=confirm_timeout,
        )
    again = _check(ctx, names)
    merged = {d.device: d for d in report.devices} | {d.device: d for d in again.devices}
    return replace(
        report, devices=tuple(merged[n] for n in sorted(merged)), finished_at=again.finished_at
    ), pushed


def _check(ctx: dict[str, Any], devices: list[str] | None) -> Any:
    from sipelangi_net.compliance.run import run_compliance

    return run_compliance(
        ctx["inventory_dir"],
        ctx["inventory"],
        ctx["creds"],
        ctx["tickets"],
        devices=devices,
        backups=ctx["backups"],
        workers=ctx["workers"],
        skipped=ctx.get("skipped", ()),
    )


def print_run(
    report: Any, files: dict[str, str], faults: Any, pushed: Any, *, as_json: bool, quiet: bool
) -> None:
    """The run's summary (``--json``: one document); every device, fault and error value shown as text."""
    from sipelangi_net.cli.skipped import report_skipped
    from sipelangi_net.compliance.report import scrubbed, summary_text

    if as_json:
        doc = report.to_json() | {"files": files}
        doc["faults"] = faults.to_json() if faults is not None else None
        doc["remediation"] = pushed.to_json() if pushed is not None else None
        say_json(scrubbed(doc))
        return
    text = summary_text(report, quiet=quiet)
    if text:
        say_lines(text.splitlines())
    report_skipped(report.skipped)  # always shown, also with --quiet: the record needs a repair
    if pushed is not None:
        for d in pushed.devices:
            say(f"remediation {d.device}: {d.state}" + (f" ({d.error})" if d.error else ""))
    if faults is not None and (faults.opened or faults.closed or (faults.still_open and not quiet)):
        for verb, items in (
            ("opened", faults.opened),
            ("still open", faults.still_open),
            ("closed", faults.closed),
        ):
            for f in items:
                say(f"fault {f.label} {verb}: {f.summary}")
    if text or not quiet:
        say(f"report: {files['html']}")


def _exit_code(report: Any) -> int:
    if report.count("unreachable") or report.count("error"):
        return EXIT_DEVICES
    return 0 if report.compliant else EXIT_DRIFT


@compliance_app.callback()
def compliance_command(
    ctx: typer.Context,
    host: list[str] = typer.Option([], "--host", "-H", help="Only this device (repeatable)."),
    group: list[str] = typer.Option([], "--group", "-g", help="Only devices of this inventory group."),
    site: list[str] = typer.Option([], "--site", "-s", help="Only devices of this site."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="For mail: print nothing when all is compliant."),
    remediate: bool = typer.Option(False, "--remediate", help="Fix the drifted devices (safe push)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --remediate: do not ask."),
    confirm_timeout: int = typer.Option(120, help="Remediation: seconds before the devices revert."),
    no_backup: bool = typer.Option(False, "--no-backup", help="Do not keep the configs in the backup repo."),
    no_faults: bool = typer.Option(False, "--no-faults", help="Do not open or close fault tickets."),
    workers: int = typer.Option(20, min=1, max=100, help="Devices read in parallel."),
    lock: Path | None = typer.Option(None, help="Lock file (default: reports/compliance/compliance.lock)."),
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Check every device (or the filtered ones) against its intended config; see docs/compliance.md."""
    if ctx.invoked_subcommand is not None:
        return
    from sipelangi_net.compliance.backup import backups_dir
    from sipelangi_net.compliance.lock import run_lock
    from sipelangi_net.compliance.report import report_dir, write_html, write_json
    from sipelangi_net.compliance.run import select_devices
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.paths import reports_dir

    if not 10 <= confirm_timeout <= 3600:
        raise ConfigError("--confirm-timeout: between 10 and 3600 seconds")
    if remediate and as_json and not yes:
        raise ConfigError("--remediate --json needs --yes: the question would break the JSON on stdout")
    with run_lock(lock or reports_dir() / "compliance" / "compliance.lock"):
        folder, inv = _inventory(inventory)
        chosen = select_devices(inv, hosts=host, groups=group, sites=site) if host or group or site else None
        with opened(db, store) as st:
            tickets = st.tickets()
            unreadable = list(getattr(st, "skipped", ()))  # rows the store could not read at all
        state = {
            "inventory_dir": folder,
            "inventory": inv,
            "creds": load_credentials(),
            "tickets": tickets,
            "skipped": unreadable,
            "backups": None if no_backup else backups_dir(),
            "workers": workers,
            "as_json": as_json,
            "db": db,
            "store": store,
        }
        report = _check(state, chosen)
        out = report_dir(report.started_at, tz=_tz(inv))
        state["folder"] = out
        pushed = None
        if remediate:
            report, pushed = _remediate(state, report, yes, confirm_timeout)
        files = {"json": str(write_json(report, out)), "html": str(write_html(report, out))}
        faults = None if no_faults else _sync_faults(db, store, report)
    print_run(report, files, faults, pushed, as_json=as_json, quiet=quiet)
    code = _exit_code(report)
    if pushed is not None and not pushed.ok:
        code = code or 1
    if code:
        raise typer.Exit(code)


@compliance_app.command("faults")
def faults_command(
    all_: bool = typer.Option(False, "--all", help="Closed faults too."),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Fault tickets opened by compliance runs (open ones, or --all)."""
    from sipelangi_net.cli.skipped import report_skipped
    from sipelangi_net.compliance.faults import list_faults
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.acting import unwrapped
    from sipelangi_net.tickets.sqlite import SqliteStore

    with opened(db, store) as bound:
        st = unwrapped(bound)
        if not isinstance(st, SqliteStore):
            raise ConfigError("fault tickets are kept in the SQLite ticket store only; use --db")
        found = list_faults(st.faults, status=None if all_ else "open", source="compliance")
        report_skipped(st.faults.skipped)  # on stderr: the record needs a repair
    if as_json:
        say_json([f.to_json() for f in found])
        return
    for f in found:
        say(f"{f.label} {f.status:<6} seen {f.seen}x since {f.opened_at}  {f.summary}")
    if not found:
        say("no fault tickets" if all_ else "no open fault tickets")


@compliance_app.command("schedule")
def schedule_command(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the unit files and the cron entry."),
    on_calendar: str = typer.Option("*-*-* 02:00:00", help="systemd OnCalendar= (local time)."),
    cron: str = typer.Option("0 2 * * *", help="The cron schedule (minute hour day month weekday)."),
    mail_to: str = typer.Option("root", help="Who cron mails the (quiet) output to."),
    workdir: Path | None = typer.Option(None, help="Working directory of the runs (default: the workspace)."),
    exe: Path | None = typer.Option(None, help="The sipelangi-net program (default: this installation's)."),
) -> None:
    """Write a systemd service + timer and a cron entry for the nightly run (install one of them)."""
    from sipelangi_net.change.render import render
    from sipelangi_net.cli.units import unit_paths
    from sipelangi_net.errors import ConfigError

    for name, value in (("--on-calendar", on_calendar), ("--cron", cron), ("--mail-to", mail_to)):
        if not value.strip() or any(ch in value for ch in "\n\r%;&|`$"):
            raise ConfigError(
                f"{name}: {value!r} is empty or holds a character a unit or crontab would misread"
            )
    context: dict[str, Any] = {
        **unit_paths(exe, workdir),
        "on_calendar": on_calendar,
        "cron": cron,
        "mail_to": mail_to,
    }
    out.mkdir(parents=True, exist_ok=True)
    for template, name in (
        ("compliance/sipelangi-net-compliance.service.j2", "sipelangi-net-compliance.service"),
        ("compliance/sipelangi-net-compliance.timer.j2", "sipelangi-net-compliance.timer"),
        ("compliance/sipelangi-net-compliance.cron.j2", "sipelangi-net-compliance.cron"),
    ):
        (out / name).write_text(render(template, **context), encoding="utf-8")
        say(out / name)
