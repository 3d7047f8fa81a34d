"""``provision``: the whole SOP run of an approved ticket, as the playbook ``playbooks/provision.yaml``."""

from __future__ import annotations

import time
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
from sipelangi_net.cli.deploy import NowOpt, ReasonOpt, early_reason
from sipelangi_net.cli.output import add_row, line, say, say_json, show_table, styled, table
from sipelangi_net.cli.ticket import ActorOpt, DbOpt, InventoryOpt, JsonOpt, StoreOpt, _actor, opened

playbook_app = typer.Typer(help="Playbooks: runs declared as data under playbooks/.", no_args_is_help=True)


def _signing(path: Path | None) -> Any:
    """``--handover FILE``: {tim_kerja: {name, nip}, pemohon: {name, nip}, scan: PATH (once signed)}."""
    if path is None:
        return None
    from sipelangi_net.documents.service import make_signer
    from sipelangi_net.errors import DocumentInputError, InventoryError
    from sipelangi_net.inventory import read_yaml
    from sipelangi_net.playbook.context import Signing

    try:
        raw = read_yaml(path)
    except InventoryError as exc:
        raise DocumentInputError(f"--handover: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("scan", ""), str):
        raise DocumentInputError(f"--handover {path}: expected tim_kerja, pemohon and (once signed) scan")
    signers = []
    for role in ("tim_kerja", "pemohon"):
        who = raw.get(role)
        if not isinstance(who, dict) or not all(isinstance(who.get(k), str) for k in ("name", "nip")):
            raise DocumentInputError(f"--handover {path}: {role} needs a name and a NIP (as text)")
        signers.append(make_signer(role, who["name"], who["nip"]))
    if not raw.get("scan"):
        return Signing(tuple(signers))
    scan = Path(raw["scan"])
    return Signing(tuple(signers), scan if scan.is_absolute() else path.parent / scan)


def provision_command(
    ticket_id: str,
    dry_run: bool = typer.Option(False, "--dry-run", help="Stop after the diff; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before pushing (automation)."),
    handover: Path | None = typer.Option(
        None, "--handover", help="Berita acara signers: YAML tim_kerja/pemohon (name, nip); scan once signed."
    ),
    photo: list[Path] = typer.Option([], "--photo", help="A photo of the installation (repeatable)."),
    confirm_timeout: int = typer.Option(120, help="Seconds before the devices revert if not confirmed."),
    seconds: int = SecondsOpt,
    udp_seconds: int = UdpSecondsOpt,
    streams: int = StreamsOpt,
    tolerance: float = ToleranceOpt,
    speedtest: bool = SpeedtestOpt,
    wait: float = typer.Option(
        0.0,
        "--wait",
        min=0,
        max=7 * 24 * 3600,
        help="Seconds this run may wait: for a ticket or device in use, and for the agreed slot to start.",
    ),
    now: bool = NowOpt,
    reason: str = ReasonOpt,
    playbook: Path | None = typer.Option(None, "--playbook", help="Default: playbooks/provision.yaml."),
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Provision an approved ticket: analysis to notification, resumable, one change at a time.

    The change is pushed inside the installation slot agreed with the requester (step 6): before
    it the run stops, or sleeps until it starts when that is within --wait; --now --reason TEXT
    pushes outside it and keeps the reason on the ticket.

    Exit 0 done (or dry run finished), 1 a step failed (a change is rolled back), 75 waiting for
    the agreed slot, for people (signatures) or a notification channel: run it again later;
    6 the agreed slot has ended (agree a new one, or --now --reason); 2-7 as for the other commands.
    """
    started = time.monotonic()
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.paths import playbook_path
    from sipelangi_net.playbook.actions import ACTIONS
    from sipelangi_net.playbook.context import RunOptions
    from sipelangi_net.playbook.model import load_playbook

    if not 10 <= confirm_timeout <= 3600:
        raise ConfigError("--confirm-timeout: between 10 and 3600 seconds")
    book = load_playbook(playbook or playbook_path("provision.yaml"), ACTIONS)
    bandwidth = settings_of(seconds, streams, tolerance, speedtest, udp_seconds)
    options = RunOptions(
        dry_run=dry_run, yes=yes, confirm_timeout=confirm_timeout, handover=_signing(handover),
        bandwidth=bandwidth, photos=tuple(photo), lock_wait=wait,
        slot_wait=wait, early_reason=early_reason(now, reason),
    )  # fmt: skip
    _execute(book, ticket_id, options, inventory, actor, db, store, as_json=as_json, started=started)


def _execute(
    book: Any,
    ticket_id: str | None,
    options: Any,
    inventory: Path | None,
    actor: str | None,
    db: Path | None,
    store: str | None,
    *,
    as_json: bool,
    started: float,
) -> None:
    """Run ``book`` (for ``ticket_id``, or the fleet), print its progress and summary, exit with its code."""
    from sipelangi_net.cli.environment import chosen_environment
    from sipelangi_net.coordination import coordinating
    from sipelangi_net.paths import inventory_dir, reports_dir
    from sipelangi_net.playbook.context import RunContext
    from sipelangi_net.playbook.progress import JsonLinesReporter, RichReporter
    from sipelangi_net.playbook.runner import run_playbook

    reporter: Any = JsonLinesReporter() if as_json else RichReporter()
    with opened(db, store) as st, coordinating(st) as coordinator:
        if ticket_id is not None:
            st.get(ticket_id)  # an unknown ticket is an error before anything runs
        ctx = RunContext(
            ticket_id=ticket_id, store=st, inventory_path=inventory or inventory_dir(), actor=_actor(actor),
            options=options, reporter=reporter, reports=reports_dir(), coordinator=coordinator,
        )  # fmt: skip
        if ticket_id is not None:
            ctx.environment = chosen_environment(ctx.inventory)
        summary = run_playbook(book, ctx, started=started)
    if as_json:
        reporter.emit("summary", **summary.to_json())
    else:
        print_summary(summary)
    if summary.exit_code:
        raise typer.Exit(summary.exit_code)


def print_summary(summary: Any) -> None:
    """The run's steps as a table, its timings, documents and error (values shown as text)."""
    from sipelangi_net.cli.ticket import _duration

    status = f" (ticket {summary.status})" if summary.status else ""
    steps = table(
        f"{summary.playbook} {summary.ticket_id}: {summary.state}{status}",
        ("step", "result", "took", "SOP standard", "detail"),
    )
    for s in summary.steps:
        standard = _duration(s.standard_s) if s.standard_s else ""
        add_row(steps, s.name, s.state, f"{s.seconds:.1f} s", standard, s.detail[:120])
    show_table(steps)
    t = summary.timings
    say(
        f"total {summary.seconds:.1f} s: devices {t['device_io']:.1f} s, bandwidth test {t['bwtest']:.1f} s,"
        f" documents {t['documents']:.1f} s, notification {t['notify']:.1f} s, waiting {t['waiting']:.1f} s,"
        f" the tool itself {summary.overhead_s:.2f} s"
    )
    for name, path in summary.documents.items():
        say(f"{name}: {path}")
    if summary.error is not None:
        line(styled("error:", "red"), f" {summary.error}")


@playbook_app.command("run")
def run_command(
    path: Path,
    ticket_id: str | None = typer.Option(None, "--ticket", help="The ticket of a ticket playbook."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Stop at the step marked stop_on_dry_run."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before pushing (automation)."),
    wait: float = typer.Option(0.0, "--wait", min=0, help="Seconds to wait for a lock held by another run."),
    note: str = typer.Option("", "--note", help="Why (e.g. the reason a handover was refused)."),
    now: bool = NowOpt,
    reason: str = ReasonOpt,
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Run a playbook: a ticket's (``--ticket``) or the fleet's (compliance.yaml, backup.yaml).

    Exit codes as for ``provision``; a fleet run holds the playbook's lock, so two never overlap.
    """
    started = time.monotonic()
    from sipelangi_net.playbook.actions import ACTIONS
    from sipelangi_net.playbook.context import RunOptions
    from sipelangi_net.playbook.model import load_playbook

    book = load_playbook(path, ACTIONS)
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.validate import unsafe_character

    bad = unsafe_character(note)
    if bad:
        raise ConfigError(f"--note: {bad}")
    options = RunOptions(
        dry_run=dry_run, yes=yes, lock_wait=wait, slot_wait=wait, note=note[:1000],
        early_reason=early_reason(now, reason),
    )  # fmt: skip
    _execute(book, ticket_id, options, inventory, actor, db, store, as_json=as_json, started=started)


@playbook_app.command("actions")
def actions_command() -> None:
    """The actions a playbook step can name, with their options."""
    from sipelangi_net.playbook.actions import ACTIONS

    for name, act in sorted(ACTIONS.items()):
        opts = f" (with: {', '.join(sorted(act.options))})" if act.options else ""
        say(f"{name:<20} {act.doc}{opts}")


@playbook_app.command("check")
def check_command(path: Path, as_json: bool = JsonOpt) -> None:
    """Validate a playbook file: actions known, options accepted, step names unique."""
    from sipelangi_net.playbook.actions import ACTIONS
    from sipelangi_net.playbook.model import load_playbook

    book = load_playbook(path, ACTIONS)
    if as_json:
        say_json(book.model_dump(mode="json", by_alias=True))
    else:
        say(f"{path}: {book.name}, {len(book.steps)} steps: ok")
