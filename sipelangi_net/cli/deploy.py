"""``render``, ``diff``, ``deploy``: SOP step 7, the configuration of the devices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.bwtest import SecondsOpt, SpeedtestOpt, StreamsOpt, ToleranceOpt, settings_of
from sipelangi_net.cli.ticket import ActorOpt, DbOpt, InventoryOpt, JsonOpt, StoreOpt, _actor, opened


def _plan(st: Any, ticket_id: str) -> tuple[Any, Any]:
    from sipelangi_net.analysis.stored import plan_of
    from sipelangi_net.errors import WorkflowError

    ticket = st.get(ticket_id)
    plan = plan_of(ticket)
    if plan is None:
        raise WorkflowError(
            f"ticket {ticket_id}: no available plan (step 4, needs analysis, must succeed first)"
        )
    return ticket, plan


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
    from sipelangi_net.paths import reports_dir
    from sipelangi_net.render import render_plan

    with opened(db, store) as st:
        _ticket, plan = _plan(st, ticket_id)
    rendered = render_plan(plan, _inventory(inventory))
    folder = out or reports_dir() / ticket_id / "intended"
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    for device, intended in rendered.items():
        target = folder / f"{device}.{intended.platform}.txt"
        target.write_text(intended.text, encoding="utf-8")
        written[device] = str(target)
    if as_json:
        print(json.dumps(written, indent=2))
    else:
        for device, where in written.items():
            print(f"{device}: {where}")


def _run(
    ticket_id: str,
    inventory: Path | None,
    db: Path | None,
    store: str | None,
    bandwidth: Any = None,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """Deploy (or dry-run); ``bandwidth`` (run Settings) adds the bandwidth gate before confirming."""
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.deploy import deploy
    from sipelangi_net.drivers.registry import open_driver, reachability
    from sipelangi_net.lab.probe import lab_probe
    from sipelangi_net.lab.runtime import LabPaths
    from sipelangi_net.paths import lab_dir, reports_dir

    with opened(db, store) as st:
        _ticket, plan = _plan(st, ticket_id)
    inv = _inventory(inventory)
    gate = None
    factory: Any = open_driver
    if not kwargs.get("dry_run"):
        # On the lab, the OPD PC proves the subnet reaches its applications; then the bandwidth gate.
        probe = lab_probe(plan, inv, LabPaths(lab_dir()))
        if probe is None:  # not the lab: the gateway device pings the application servers
            factory, probe = reachability(plan)
        checks = [probe]
        if bandwidth is not None:
            from sipelangi_net.bandwidth.gate import BandwidthGate

            gate = BandwidthGate(plan, inv, bandwidth)
            checks.append(gate)
        kwargs.setdefault("post_check", _all([c for c in checks if c is not None]))
    report = deploy(
        plan,
        inv,
        load_credentials(),
        driver_factory=factory,
        backups=reports_dir() / ticket_id / "backups",
        **kwargs,
    )
    return report, gate


def _all(checks: list[Any]) -> Any:
    def run_all() -> None:
        for check in checks:
            check()

    return run_all if checks else None


def diff_command(
    ticket_id: str,
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Dry run: print per device the exact commands a deploy would send. Changes nothing."""
    report, _gate = _run(ticket_id, inventory, db, store, dry_run=True)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        for d in report.devices:
            print(f"--- {d.device} ({d.platform})" + ("" if d.commands else ": no changes"))
            for line in d.commands:
                print(f"    {line}")
        if not report.changed:
            print("no changes")
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
    streams: int = StreamsOpt,
    tolerance: float = ToleranceOpt,
    speedtest: bool = SpeedtestOpt,
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Installation (SOP step 7): backup, push with commit-confirm, post-check, bandwidth gate, confirm.

    Exit 0 when every device is confirmed (or nothing had to change), 1 when the change was rolled back.
    """
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets import workflow
    from sipelangi_net.tickets.models import Move
    from sipelangi_net.tickets.sqlite import utcnow

    if not 10 <= confirm_timeout <= 3600:
        raise ConfigError("--confirm-timeout: between 10 and 3600 seconds")
    who = _actor(actor)
    with opened(db, store) as st:
        workflow.plan(
            st.get(ticket_id), Move(step=7, actor=who), now=utcnow()
        )  # refuse before touching devices
    from sipelangi_net.errors import SipelangiError
    from sipelangi_net.validate import printable

    bandwidth = settings_of(seconds, streams, tolerance, speedtest) if bandwidth_gate else None
    try:
        report, gate = _run(
            ticket_id, inventory, db, store, bandwidth=bandwidth, confirm_seconds=confirm_timeout
        )
    except SipelangiError as exc:  # e.g. a template refused the text: nothing was pushed; record why
        _record(
            db, store, ticket_id, Move(step=7, actor=who, outcome="failed", note=printable(str(exc))[:2000])
        )
        raise
    tested = gate.run if gate is not None else None
    _record_deploy(db, store, ticket_id, who, report, tested)
    data = report.to_json()
    if tested is not None:
        data["bwtest"] = tested.result.model_dump(mode="json")
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        _print_report(report, tested)
    if not report.ok:
        raise typer.Exit(1)


def _record_deploy(
    db: Path | None, store: str | None, ticket_id: str, who: str, report: Any, tested: Any
) -> None:
    """Step 7 done or failed; after a gated push, step 8 with the test (its start ends step 7)."""
    from sipelangi_net.bandwidth.gate import outputs, step8
    from sipelangi_net.tickets.models import Move
    from sipelangi_net.validate import printable

    out: dict[str, Any] = {"deploy": report.to_json()}
    ended = None
    if tested is not None and report.ok:
        ended = tested.result.started_at
    elif tested is not None:  # the gate failed: step 8 cannot follow a failed step 7, so keep it here
        out.update(outputs(tested))
    note = "" if report.ok else printable(report.error)[:2000]
    move = Move(step=7, actor=who, outcome="done" if report.ok else "failed", note=note, outputs=out)
    with opened(db, store) as st:
        st.apply(ticket_id, move.model_copy(update={"ended_at": ended}) if ended else move)
        if tested is not None and report.ok:
            st.apply(ticket_id, step8(tested, who))


def _print_report(report: Any, tested: Any) -> None:
    for d in report.devices:
        print(
            f"{d.device:<20} {d.state:<12} {len(d.commands)} commands  backup {d.backup_sha256[:12]}"
            + (f"  verified={d.verified}" if d.verified is not None else "")
            + (f"  {d.error}" if d.error else "")
        )
    if tested is not None:
        from sipelangi_net.bandwidth.gate import summary_lines

        print("\n".join(summary_lines(tested)))
    print("no changes" if not report.changed else ("deployed and confirmed" if report.ok else report.error))


def _record(db: Path | None, store: str | None, ticket_id: str, move: Any) -> None:
    with opened(db, store) as st:
        st.apply(ticket_id, move)
