"""The actions a ticket playbook can name: each one SOP stage, resumable and safe to run twice.

Every action first asks the ticket whether its step is already complete and then skips it,
so a run that was killed continues from the last finished step and never pushes twice.
Actions call the stages where they live (analysis.steps, install, bandwidth, documents,
tickets.notify); they add only the resumption rule and the one-line outcome.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sipelangi_net.playbook.context import Outcome, RunContext, done, failed, paused, skipped, stopped
from sipelangi_net.tickets.outputs import Agreed, HandedOver, Notified, Prepared, outputs_of
from sipelangi_net.tickets.workflow import completed

ActionFn = Callable[[RunContext, dict[str, Any]], Outcome]


@dataclass(frozen=True, slots=True)
class Action:
    fn: ActionFn
    options: frozenset[str]
    doc: str


ACTIONS: dict[str, Action] = {}


def action(name: str, *options: str) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        ACTIONS[name] = Action(fn, frozenset(options), (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return register


def _address(ctx: RunContext) -> str:
    site = ctx.inventory.sites.get(ctx.ticket().request.site)
    return site.address if site is not None else ""


def _allowed(ctx: RunContext, step: int) -> None:
    """Refuse (WorkflowError naming the missing step) before credentials or devices are touched."""
    from sipelangi_net.tickets import workflow
    from sipelangi_net.tickets.acting import bound_account
    from sipelangi_net.tickets.models import Move

    account = bound_account(ctx.store)
    workflow.may_do(ctx.ticket(), Move(step=step, actor=ctx.actor), now=ctx.now(), account=account)


def _plan(ctx: RunContext) -> Any:
    from sipelangi_net.analysis.steps import stored_plan

    return ctx.plan if ctx.plan is not None else stored_plan(ctx.ticket(), "continue")


@action("analyze")
def analyze(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """SOP step 4: live facts from the devices, the plan and its availability."""
    from sipelangi_net.analysis.steps import analyze_ticket

    if completed(ctx.ticket(), 4):
        return skipped("already analysed (step 4 done)")
    _allowed(ctx, 4)
    start = ctx.now()
    plan = analyze_ticket(
        ctx.store, ctx.tid, ctx.catalogues, actor=ctx.actor, creds=ctx.creds, now=start,
        record=not ctx.options.dry_run, started=start, timings=ctx.timings, coordinator=ctx.coordinator,
    )  # fmt: skip
    if not plan.available:
        return failed("not available: " + "; ".join(plan.problems))
    ctx.plan = plan
    a = plan.addressing
    # a dry run records no plan on the ticket: its output shows the plan the diff was made from
    shown = {"plan": plan.model_dump(mode="json")} if ctx.options.dry_run else {}
    return done(
        f"VLAN {plan.vlan}, {a.subnet if a else '-'}, target {plan.bandwidth.down_mbit}/"
        f"{plan.bandwidth.up_mbit} Mbit/s" + (" (dry run: not recorded)" if ctx.options.dry_run else ""),
        **shown,
    )


@action("prepare")
def prepare(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """SOP step 5: the equipment list and the proposed installation slot."""
    from sipelangi_net.analysis.steps import prepare_ticket, proposed_slot

    if completed(ctx.ticket(), 5):
        return skipped("already prepared (step 5 done)")
    if ctx.options.dry_run:
        slot = proposed_slot(ctx.store, ctx.tid, ctx.catalogues, now=ctx.now())
        return done(f"proposed slot {slot.label_id()} (dry run: not recorded)")
    now = ctx.now()
    ticket = prepare_ticket(
        ctx.store, ctx.tid, ctx.catalogues, actor=ctx.actor, now=now, started=now, coordinator=ctx.coordinator
    )
    return done(f"proposed slot {outputs_of(ticket, ticket.events[-1], Prepared).schedule}")


@action("schedule")
def schedule(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """SOP step 6: the agreed slot; the requester's PIC is notified."""
    from sipelangi_net.analysis.steps import schedule_ticket

    if completed(ctx.ticket(), 6):
        return skipped("requester already told (step 6 done)")
    if ctx.options.dry_run:
        return skipped("dry run: the requester is not told")
    ticket = schedule_ticket(
        ctx.store, ctx.tid, ctx.catalogues, actor=ctx.actor, started=ctx.now(), coordinator=ctx.coordinator
    )
    sent = _deliver(ctx)
    out = outputs_of(ticket, ticket.events[-1], Agreed)
    return done(f"installation on {out.schedule}, {out.agreed_with} {sent}")


def _deliver(ctx: RunContext) -> str:
    from sipelangi_net.tickets.notify import deliver_due, transports_from_env

    transports = transports_from_env()
    if not transports or not hasattr(ctx.store, "retry_failed"):
        return "(notification queued)"
    with ctx.timed("notify"):
        report = deliver_due(ctx.store, transports)
    if report.errors:
        return f"(notification not delivered yet: {report.errors[0]})"
    return "notified"


def _window(ctx: RunContext) -> Any:
    from sipelangi_net.analysis.window import check_window

    return check_window(ctx.ticket(), now=ctx.now(), reason=ctx.options.early_reason)


def _not_now(check: Any) -> Outcome:
    """A check that does not allow the push: waiting (paused, 75) or refused (WorkflowError, 6)."""
    from sipelangi_net.errors import WorkflowError

    if check.verdict == "refused":
        raise WorkflowError(check.message)
    return paused(check.message, slot_start=check.start.isoformat() if check.start else None)


@action("window")
def window(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """The agreed slot (step 6): push inside it; before it wait (--wait) or stop (75); or --now --reason."""
    from sipelangi_net.analysis.window import wait_until

    if completed(ctx.ticket(), 7):
        return skipped("already installed (step 7 done)")
    check = _window(ctx)
    if ctx.options.dry_run:
        return done(f"dry run, not waiting: {check.message}")
    if check.verdict == "wait" and check.wait_s <= ctx.options.slot_wait:
        until = check.start.isoformat()
        ctx.reporter.device("window", "slot", f"waiting {check.wait_s:.0f} s, until {until}")
        with ctx.timed("waiting"):
            wait_until(check.start, now=ctx.now, sleep=ctx.sleep)
        check = _window(ctx)
    if not check.go:
        return _not_now(check)
    return done(check.message, slot=check.record.model_dump(mode="json"))


@action("diff")
def diff(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """Dry-run diff: the exact commands per device, frozen as the change set the push will send."""
    from sipelangi_net.change.install import run_deploy, touched_devices

    if completed(ctx.ticket(), 7):
        return skipped("already installed (step 7 done)")
    if not ctx.options.dry_run and _recovered(ctx):
        return skipped("installed by an earlier run, recorded now from its journal (step 7 done)")
    plan = _plan(ctx)
    devices = [("device", d) for d in touched_devices(plan, ctx.inventory)]
    # The devices stay locked from this read until the change is confirmed (end of the run).
    held = ctx.coordinator.holding(devices, purpose=f"change {ctx.tid}", wait=ctx.options.lock_wait)
    ctx.held.enter_context(held)
    with ctx.timed("device_io"):
        report, _gate = run_deploy(
            plan, ctx.inventory, creds=ctx.creds, backups=ctx.reports / ctx.tid / "backups",
            environment=_environment(ctx), dry_run=True, driver_factory=ctx.drivers,
            progress=lambda device, what: ctx.reporter.device("diff", device, what),
        )  # fmt: skip
    if not report.ok:
        return failed(report.error)
    ctx.diff = report
    commands = {d.device: list(d.commands) for d in report.devices}
    n = sum(map(len, commands.values()))
    what = f"{n} commands on {sum(1 for c in commands.values() if c)} devices" if n else "no changes"
    return done(f"{what}; change set {report.change_set[:12]}", commands=commands,
                change_set=report.change_set)  # fmt: skip


def _recovered(ctx: RunContext) -> bool:
    """Earlier runs' journals recorded first (a killed run may have left devices armed with its change)."""
    from sipelangi_net.change.install import recover

    with ctx.timed("waiting"):
        earlier = recover(
            ctx.store, ctx.tid, ctx.inventory, actor=ctx.actor, creds=ctx.creds, reports=ctx.reports,
            confirm_seconds=ctx.options.confirm_timeout, lock_wait=ctx.options.lock_wait, sleep=ctx.sleep,
            driver_factory=ctx.drivers, coordinator=ctx.coordinator,
        )  # fmt: skip
    return earlier.report is not None


def _environment(ctx: RunContext) -> Any:
    from sipelangi_net.environment import Field

    return ctx.environment if ctx.environment is not None else Field()


@action("confirm")
def confirm(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """The engineer confirms the diff (``--yes`` for automation): that change set is what is pushed."""
    if completed(ctx.ticket(), 7):
        return skipped("already installed (step 7 done)")
    if ctx.diff is None:
        return failed("nothing to confirm: the playbook needs a diff step before confirm")
    change = ctx.diff.change
    if not ctx.diff.changed:
        ctx.change = change  # nothing may be pushed either, should a device change before deploy
        return skipped("nothing to change")
    if not ctx.options.yes and not sys.stdin.isatty():
        return failed("the change needs a confirmation: run interactively, or with --yes")
    if ctx.options.yes or _asked(ctx, change):
        ctx.change = change
        return done(f"change set {change.digest[:12]} confirmed" + (" by --yes" if ctx.options.yes else ""))
    return stopped("not confirmed: nothing was changed")


def _asked(ctx: RunContext, change: Any) -> bool:
    """Show the change set's commands and ask the engineer."""
    import typer

    from sipelangi_net.cli.output import say

    for d in change.devices:
        for line in d.commands:
            say(f"  {d.device}: {line}", err=True)
    if change.dhcp is not None:
        for line in change.dhcp.commands:
            say(f"  {change.dhcp.server}: {line}", err=True)
    return bool(typer.confirm(f"Push change set {change.digest[:12]} to the devices of {ctx.tid}?", err=True))


@action("deploy", "confirm_timeout", "bandwidth_gate")
def deploy(ctx: RunContext, opts: dict[str, Any]) -> Outcome:
    """SOP steps 7 and 8: push with commit-confirm, post-checks, bandwidth gate, confirm or roll back."""
    from sipelangi_net.bandwidth.run import Settings
    from sipelangi_net.change.install import install_ticket

    ticket = ctx.ticket()
    if completed(ticket, 8):
        return skipped("installed and tested (steps 7 and 8 done)")
    gated = bool(opts.get("bandwidth_gate", True))
    settings = ctx.options.bandwidth or Settings()
    if completed(ticket, 7):  # a run stopped between the two records, or deployed without the gate
        _recovered(ctx)  # its journal may hold the test it made before confirming
        if completed(ctx.ticket(), 8):
            return done("the bandwidth test of the installation, recorded now from its run's journal")
        return _bwtest(ctx, settings)
    _allowed(ctx, 7)
    check = _window(ctx)  # the push itself keeps to the agreed slot, whatever the playbook's steps
    if not check.go:
        return _not_now(check)
    installed = install_ticket(
        ctx.store, ctx.tid, ctx.inventory, actor=ctx.actor, creds=ctx.creds, reports=ctx.reports,
        environment=_environment(ctx), approved=ctx.change, driver_factory=ctx.drivers,
        bandwidth=settings if gated else None, started=ctx.now(), lock_wait=ctx.options.lock_wait,
        slot=check.record, coordinator=ctx.coordinator,
        confirm_seconds=int(opts.get("confirm_timeout", ctx.options.confirm_timeout)),
        progress=lambda device, what: ctx.reporter.device("deploy", device, what),
    )  # fmt: skip
    tested = installed.tested
    bw_s = tested.result.duration_s if tested is not None else 0.0
    ctx.timings["bwtest"] += bw_s
    ctx.timings["waiting"] += installed.waited_s
    ctx.timings["device_io"] += max(0.0, installed.deploy_s - bw_s)
    report = installed.report
    data = {"deploy": report.to_json(), "bwtest": tested.result.model_dump(mode="json") if tested else None}
    if not report.ok:
        return failed(report.error, **data)
    confirmed = sum(d.state == "confirmed" for d in report.devices)
    what = f"{confirmed} devices confirmed" if report.changed else "no changes"
    if installed.reconciled:
        what += f" by an earlier run, recorded now from its journal {report.run_id}"
    if tested is not None:
        what += f"; {tested.result.reason}"
    return done(what, **data)


def _bwtest(ctx: RunContext, settings: Any) -> Outcome:
    from sipelangi_net.bandwidth.gate import measure, step8

    run = measure(_plan(ctx), ctx.inventory, _environment(ctx), settings)
    ctx.timings["bwtest"] += run.result.duration_s
    ctx.store.apply(ctx.tid, step8(run, ctx.actor))
    data = {"bwtest": run.result.model_dump(mode="json")}
    if not run.result.passed:
        return failed(f"bandwidth test failed: {run.result.reason}", **data)
    return done(f"bandwidth test: {run.result.reason}", **data)


@action("handover")
def handover(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """SOP step 9: the berita acara draft for its signers; recorded when the signed scan is given.

    Without ``--handover`` the run waits for the signed berita acara (paused, 75: people, not a
    fault): it is recorded by ``ticket sign`` or the Tim Kerja's work page, or given to a next run.
    """
    from sipelangi_net.documents.service import record_handover, write_berita_acara

    ticket = ctx.ticket()
    if completed(ticket, 9):
        return skipped("berita acara already signed (step 9 done)")
    signing = ctx.options.handover
    if signing is None:
        return paused(
            "waiting for the signed berita acara: record it with 'sipelangi-net ticket sign"
            f" {ctx.tid} ...' or on the Tim Kerja's work page, or give --handover FILE with tim_kerja"
            " and pemohon (name, nip) and the scan once it is signed; then run provision again"
        )
    with ctx.timed("documents"):
        draft = write_berita_acara(ticket, signers=signing.signers, address=_address(ctx), out=ctx.reports)
    ctx.documents["berita_acara_draft"] = str(draft.pdf.path)
    if signing.scan is None:
        return paused(
            f"berita acara {draft.number} to sign: {draft.pdf.path}; then add 'scan: FILE' to the --handover"
            f" file (or run 'sipelangi-net ticket sign {ctx.tid} ...') and run provision again"
        )
    with ctx.timed("documents"):
        _ticket, files = record_handover(
            ctx.store, ctx.tid, signers=signing.signers, scan=signing.scan, actor=ctx.actor,
            now=ctx.now(), address=_address(ctx), out=ctx.reports,
        )  # fmt: skip
    ctx.documents["berita_acara"] = str(files.pdf.path)
    return done(f"berita acara {files.number} signed by {', '.join(s.name for s in signing.signers)}")


@action("installation_report")
def installation_report(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """SOP step 10: the installation report (PDF + HTML), recorded with its hashes."""
    from sipelangi_net.documents.service import record_installation_report

    if completed(ctx.ticket(), 10):
        return skipped("installation report already recorded (step 10 done)")
    with ctx.timed("documents"):
        _ticket, files = record_installation_report(
            ctx.store, ctx.tid, actor=ctx.actor, photos=ctx.options.photos, address=_address(ctx),
            out=ctx.reports,
        )  # fmt: skip
    ctx.documents["laporan_pemasangan"] = str(files.pdf.path)
    return done(f"{files.number}: {files.pdf.path}")


@action("close")
def close(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """SOP step 11: the helpdesk closes the ticket; the closing notification is queued.

    In single-engineer mode the run closes it. An account the SOP does not let close it (the
    Tim Kerja's: step 11 is the helpdesk's, after the Kepala Bidang acknowledged the report)
    pauses the run here, nothing recorded; run it again once the helpdesk closed the ticket.
    """
    from sipelangi_net.errors import Forbidden
    from sipelangi_net.tickets.models import Move

    if completed(ctx.ticket(), 11):
        return skipped("already closed (step 11 done)")
    try:
        ctx.store.apply(ctx.tid, Move(step=11, actor=ctx.actor, started_at=ctx.now()))
    except Forbidden as exc:
        return paused(
            f"waiting for the helpdesk to close the ticket once the Kepala Bidang acknowledged the"
            f" report ({exc}); then run provision again to deliver the closing notice"
        )
    return done("ticket closed; closing notification queued")


@action("notify")
def notify(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """SOP step 12: deliver the closing notification to the requester's PIC."""
    from sipelangi_net.tickets.notify import transports_from_env

    if completed(ctx.ticket(), 12):
        return skipped("requester already notified (step 12 done)")
    if not transports_from_env():
        return paused(
            "no notification channel configured (SIPELANGI_SMTP_HOST or SIPELANGI_WEBHOOK_URL):"
            " the closing notification stays queued; deliver it with 'sipelangi-net ticket notify'"
        )
    sent = _deliver(ctx)
    event = completed(ctx.ticket(), 12)
    if event is None:
        return paused(f"closing notification {sent}; it is retried by 'sipelangi-net ticket notify'")
    out = outputs_of(ctx.ticket(), event, Notified)
    return done(f"requester notified ({out.channel or 'sent'} to {out.recipient or '?'})")


@action("rollback", "confirm_timeout")
def rollback(ctx: RunContext, opts: dict[str, Any]) -> Outcome:
    """Handover refused: every device the ticket changed back to its pre-deploy backup (step 9 failed)."""
    from sipelangi_net.change.rollback import uninstall_ticket

    ticket = ctx.ticket()
    if completed(ticket, 9):
        return failed("the berita acara is signed (step 9 done): the installation is handed over")
    last = ticket.events[-1]
    if last.step == 9 and last.outcome == "failed" and outputs_of(ticket, last, HandedOver).rollback:
        return skipped("already rolled back (step 9 failed)")
    if not ctx.options.note:
        return failed("a rollback needs the reason: give --note (why the handover was refused)")
    with ctx.timed("device_io"):
        report = uninstall_ticket(
            ctx.store, ctx.tid, ctx.inventory, actor=ctx.actor, creds=ctx.creds, reports=ctx.reports,
            reason=ctx.options.note, lock_wait=ctx.options.lock_wait, coordinator=ctx.coordinator,
            confirm_seconds=int(opts.get("confirm_timeout", ctx.options.confirm_timeout)),
        )  # fmt: skip
    for d in report.devices:
        ctx.reporter.device("rollback", d.device, d.state + (f" ({d.error})" if d.error else ""))
    if not report.ok:
        return failed(f"not rolled back: {report.error}", rollback=report.to_json())
    return done(f"{len(report.devices)} devices back to their backups; step 9 recorded as failed",
                rollback=report.to_json())  # fmt: skip


def _register_fleet() -> None:
    from sipelangi_net.playbook import fleet  # noqa: F401 - registers the fleet actions


_register_fleet()
