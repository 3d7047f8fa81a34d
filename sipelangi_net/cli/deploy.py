"""``render``, ``diff``, ``deploy``: SOP step 7, the configuration of the devices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.bwtest import (
    SecondsOpt,
    SpeedtestOpt,
    StreamsOpt,
    ToleranceOpt,
    UdpSecondsOpt,
    settings_of,
)
from sipelangi_net.cli.output import say, say_json, say_lines
from sipelangi_net.cli.ticket import (
    ActorOpt,
    DbOpt,
    InventoryOpt,
    JsonOpt,
    StoreOpt,
    _actor,
    already_stored,
    opened,
)

CHANGE_SET = "change-set.json"
"""Where ``diff`` keeps the change set it showed, for ``deploy --change-set DIGEST``."""
ChangeSetOpt = typer.Option(
    None,
    "--change-set",
    help="Push exactly the change set 'diff' showed (its digest, 12+ hex digits);"
    " refused when a device changed since.",
)
NowOpt = typer.Option(
    False, "--now", help="Push outside the agreed installation slot (step 6); needs --reason."
)
ReasonOpt = typer.Option(
    "", "--reason", help="Why the change is pushed outside the agreed slot (with --now); kept on step 7."
)


def early_reason(now: bool, reason: str) -> str:
    """The ``--now --reason TEXT`` override: the reason, or "" without --now; bad input otherwise (exit 2)."""
    from sipelangi_net.errors import ConfigError

    if now and not reason.strip():
        raise ConfigError("--now needs --reason TEXT: why the change goes outside the agreed slot")
    if reason and not now:
        raise ConfigError("--reason goes with --now (push outside the agreed slot)")
    if len(reason) > 1000:
        raise ConfigError("--reason: at most 1000 characters")
    return reason.strip()


def _window(st: Any, ticket_id: str, reason: str) -> Any:
    """The agreed slot's record for a push now; exit 75 before the slot, WorkflowError after it."""
    from sipelangi_net.analysis.window import check_window
    from sipelangi_net.errors import WorkflowError
    from sipelangi_net.tickets.sqlite import utcnow
    from sipelangi_net.tickets.workflow import completed

    ticket = st.get(ticket_id)
    if completed(ticket, 7):
        return None  # nothing is pushed again: install_ticket says so
    check = check_window(ticket, now=utcnow(), reason=reason)
    if check.verdict == "refused":
        raise WorkflowError(check.message)
    if check.verdict == "wait":
        say(f"waiting: {check.message}", err=True)
        raise typer.Exit(75)
    return check.record


def _plan(st: Any, ticket_id: str) -> tuple[Any, Any]:
    from sipelangi_net.analysis.steps import stored_plan

    ticket = st.get(ticket_id)
    return ticket, stored_plan(ticket, "render, diff or deploy")


def _inventory(inventory: Path | None) -> Any:
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir

    return load_inventory(inventory or inventory_dir())


def render_command(
    ticket_id: str,
    out: Path | None = typer.Option(
        None, help="Folder for the configs (default: reports/<ticket>/intended)."
    ),
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Render the intended configuration of every device the ticket's plan touches."""
    from sipelangi_net.change.render import render_plan
    from sipelangi_net.paths import reports_dir
    from sipelangi_net.private import private_dir, write_private

    with opened(db, store) as st:
        _ticket, plan = _plan(st, ticket_id)
    rendered = render_plan(plan, _inventory(inventory))
    folder = private_dir(out or reports_dir() / ticket_id / "intended")
    written: dict[str, str] = {}
    for device, intended in rendered.items():
        target = write_private(folder / f"{device}.{intended.platform}.txt", intended.text)
        written[device] = str(target)
    if as_json:
        say_json(written)
    else:
        for device, where in written.items():
            say(f"{device}: {where}")


def _dry_run(ticket_id: str, inventory: Path | None, db: Path | None, store: str | None) -> Any:
    from sipelangi_net.change.install import run_deploy
    from sipelangi_net.cli.environment import chosen_environment
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.paths import reports_dir

    with opened(db, store) as st:
        _ticket, plan = _plan(st, ticket_id)
    inv = _inventory(inventory)
    report, _gate = run_deploy(
        plan,
        inv,
        creds=load_credentials(),
        environment=chosen_environment(inv),
        backups=reports_dir() / ticket_id / "backups",
        dry_run=True,
    )
    if report.ok and report.change is not None:
        from sipelangi_net.change.changeset import to_json
        from sipelangi_net.private import private_dir, write_private

        write_private(private_dir(reports_dir() / ticket_id) / CHANGE_SET, to_json(report.change))
    return report


def diff_command(
    ticket_id: str,
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Dry run: print per device the exact commands a deploy would send. Changes nothing.

    The change set is saved for ``deploy --change-set DIGEST`` (reports/<ticket>/change-set.json).
    """
    from sipelangi_net.change.journal import pending
    from sipelangi_net.paths import reports_dir

    for journal in pending(reports_dir() / ticket_id):
        say(
            f"warning: an earlier run of {ticket_id} is not on the ticket yet ({journal}): its devices may"
            " still be armed with its change; the next deploy records it first",
            err=True,
        )
    report = _dry_run(ticket_id, inventory, db, store)
    if as_json:
        say_json(report.to_json())
    else:
        print_diff(report)
    if not report.ok:
        from sipelangi_net.errors import DeviceError

        raise DeviceError(ticket_id, report.error)


def deploy_command(
    ticket_id: str,
    confirm_timeout: int = typer.Option(
        120, help="Seconds before the devices revert on their own if not confirmed."
    ),
    bandwidth_gate: bool = typer.Option(
        True,
        "--bandwidth-gate/--no-bandwidth-gate",
        help="Confirm only when the bandwidth test (step 8) passes; record it on the ticket.",
    ),
    seconds: int = SecondsOpt,
    udp_seconds: int = UdpSecondsOpt,
    streams: int = StreamsOpt,
    tolerance: float = ToleranceOpt,
    speedtest: bool = SpeedtestOpt,
    now: bool = NowOpt,
    reason: str = ReasonOpt,
    change_set: str | None = ChangeSetOpt,
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Installation (SOP step 7): backup, push with commit-confirm, post-check, bandwidth gate, confirm.

    Only inside the slot agreed with the requester (step 6), unless --now --reason TEXT.
    Exit 0 when every device is confirmed (or nothing had to change), 1 when the change was rolled back,
    75 before the agreed slot (nothing pushed: run it again then), 6 after it (needs --now --reason).
    """
    from sipelangi_net.change.install import install_ticket
    from sipelangi_net.cli.environment import chosen_environment
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.paths import reports_dir

    if not 10 <= confirm_timeout <= 3600:
        raise ConfigError("--confirm-timeout: between 10 and 3600 seconds")
    bandwidth = settings_of(seconds, streams, tolerance, speedtest, udp_seconds) if bandwidth_gate else None
    override = early_reason(now, reason)
    approved = None
    if change_set is not None:
        from sipelangi_net.change.changeset import from_json

        approved = from_json(reports_dir() / ticket_id / CHANGE_SET, ticket_id, change_set.strip().lower())
    from sipelangi_net.coordination import coordinating

    with opened(db, store) as st, coordinating(st) as coordinator:
        slot = _window(st, ticket_id, override)
        inv = _inventory(inventory)
        done = install_ticket(
            st,
            ticket_id,
            inv,
            environment=chosen_environment(inv),
            approved=approved,
            actor=_actor(actor),
            creds=load_credentials(),
            reports=reports_dir(),
            bandwidth=bandwidth,
            confirm_seconds=confirm_timeout,
            slot=slot,
            coordinator=coordinator,
        )
    report, tested = done.report, done.tested
    data = report.to_json()
    data["reconciled"] = done.reconciled
    if tested is not None:
        data["bwtest"] = tested.result.model_dump(mode="json")
    with already_stored(ticket_id, f"the installation (step 7) of ticket {ticket_id}"):
        if as_json:
            say_json(data)
        else:
            if done.reconciled:
                say(f"recorded from the journal of an earlier run ({report.run_id}); nothing was pushed now")
            _print_report(report, tested)
    if not report.ok:
        raise typer.Exit(1)


def print_diff(report: Any) -> None:
    """Per device the commands a deploy would send (``diff``)."""
    for d in report.devices:
        say(f"--- {d.device} ({d.platform})" + ("" if d.commands else ": no changes"))
        for command in d.commands:
            say(f"    {command}")
    if report.dhcp is not None:
        scope = report.dhcp
        say(
            f"--- {scope.server} (central DHCP server)"
            + ("" if scope.commands else ": the scope is in place")
        )
        for command in scope.commands:
            say(f"    {command}")
    if not report.changed:
        say("no changes")
    elif report.change_set:
        short = report.change_set[:12]
        say(f"change set {short}: push exactly this with 'deploy {report.ticket_id} --change-set {short}'")


def _print_report(report: Any, tested: Any) -> None:
    for d in report.devices:
        say(
            f"{d.device:<20} {d.state:<12} {len(d.commands)} commands  backup {d.backup_sha256[:12]}"
            + (f"  verified={d.verified}" if d.verified is not None else "")
            + (f"  {d.error}" if d.error else "")
        )
    if report.dhcp is not None:
        scope = report.dhcp
        say(
            f"{scope.server:<20} {scope.state:<12} DHCP scope {scope.subnet}"
            + f"  backup {scope.backup_sha256[:12]}"
            + (f"  verified={scope.verified}" if scope.verified is not None else "")
            + (f"  {scope.error}" if scope.error else "")
        )
    if tested is not None:
        from sipelangi_net.bandwidth.gate import summary_lines

        say_lines(summary_lines(tested))
    if not report.ok:  # also a change refused before anything was sent (report.changed is then False)
        say(report.error)
    else:
        say("deployed and confirmed" if report.changed else "no changes")
