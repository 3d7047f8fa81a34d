"""Actions of the fleet playbooks (``compliance.yaml``, ``backup.yaml``): every device, no ticket.

They call the compliance stage (sipelangi_net.compliance) step by step, so the scheduled run
and a person's run share the runner, its lock and its summary with ``provision``.
"""

from __future__ import annotations

from typing import Any

from sipelangi_net.playbook.actions import action
from sipelangi_net.playbook.context import Outcome, RunContext, done, failed


def _devices(ctx: RunContext, opts: dict[str, Any]) -> list[str] | None:
    from sipelangi_net.compliance.run import select_devices

    sites = list(opts.get("sites", []))
    groups = list(opts.get("groups", []))
    return select_devices(ctx.inventory, groups=groups, sites=sites) if sites or groups else None


@action("backup", "sites", "groups")
def backup(ctx: RunContext, opts: dict[str, Any]) -> Outcome:
    """Read every device's running config and keep it in the backup repository (git, scrubbed)."""
    from sipelangi_net.compliance.backup import backup_configs, backups_dir
    from sipelangi_net.compliance.collect import collect

    with ctx.timed("device_io"):
        collected = collect(ctx.inventory_path, ctx.creds, _devices(ctx, opts))
    kept = {n: (c.platform, c.running) for n, c in collected.items() if c.running is not None}
    saved = backup_configs(backups_dir(), kept, when=ctx.now())
    missing = sorted(set(collected) - set(kept))
    detail = f"{len(kept)} configs kept (commit {saved.commit[:12] or 'unchanged'})"
    if missing:
        return failed(f"{detail}; not read: {', '.join(missing)}", missing=missing)
    return done(detail, commit=saved.commit)


@action("compliance_check", "sites", "groups", "backup")
def compliance_check(ctx: RunContext, opts: dict[str, Any]) -> Outcome:
    """Collect, back up and compare every device with its intended config (baseline + tickets)."""
    from sipelangi_net.compliance.backup import backups_dir
    from sipelangi_net.compliance.run import run_compliance

    with ctx.timed("device_io"):
        report = run_compliance(
            ctx.inventory_path, ctx.inventory, ctx.creds, ctx.store.tickets(), devices=_devices(ctx, opts),
            backups=backups_dir() if opts.get("backup", True) else None,
        )  # fmt: skip
    ctx.results["compliance"] = report
    counts: dict[str, int] = {}
    for d in report.devices:
        counts[d.status] = counts.get(d.status, 0) + 1
    return done(", ".join(f"{n} {status}" for status, n in sorted(counts.items())), counts=counts)


@action("compliance_report")
def compliance_report(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """Write the compliance report (JSON + HTML) under reports/compliance/<date>/."""
    from sipelangi_net.compliance.report import report_dir, write_html, write_json

    report = ctx.results.get("compliance")
    if report is None:
        return failed("no compliance result: a compliance_check step must come first")
    out = report_dir(report.started_at)
    with ctx.timed("documents"):
        ctx.documents["compliance_json"] = str(write_json(report, out))
        ctx.documents["compliance_html"] = str(write_html(report, out))
    return done(str(out))


@action("compliance_faults")
def compliance_faults(ctx: RunContext, _opts: dict[str, Any]) -> Outcome:
    """One fault ticket per device and finding; closed when the finding is gone."""
    from sipelangi_net.compliance.faults import sync_faults
    from sipelangi_net.tickets.acting import unwrapped

    report = ctx.results.get("compliance")
    if report is None:
        return failed("no compliance result: a compliance_check step must come first")
    faults = getattr(unwrapped(ctx.store), "faults", None)
    if faults is None:
        return failed("fault tickets are kept in the SQLite ticket store only")
    synced = sync_faults(faults, report, now=report.finished_at)
    drift = sum(d.status != "compliant" for d in report.devices)
    outcome = done if not drift else failed
    return outcome(f"faults: {synced.to_json()}; {drift} devices not compliant")
