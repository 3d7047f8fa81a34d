"""SOP steps 7 and 8 on a ticket: the safe push, gated by the bandwidth test, recorded on the ticket.

:func:`install_ticket` is what ``deploy`` and the provisioning playbook run. Around
:func:`sipelangi_net.change.push.deploy` it adds what a ticket needs:

- the post-checks of the :class:`~sipelangi_net.environment.Environment` chosen at the edge (on
  the lab the OPD host reaches its applications; on a real network the gateway device pings
  them), then the bandwidth gate (confirm only when the test passes);
- one change at a time: the ticket's and every touched device's lock (sipelangi_net.locks);
- a store that can record: before any device is touched, the ticket store must take a write
  within ``SIPELANGI_STORE_WAIT`` seconds (default 10), else the run stops (exit 6) naming
  the database and the process holding it;
- a journal (``reports/<ticket>/deploy.journal.json``) written before anything is armed: a run
  killed mid-deploy leaves it behind, and the next run waits until the devices' own revert
  timers have restored them before it deploys again — so a change is never pushed on top of
  one that is about to be reverted;
- files through :mod:`sipelangi_net.private` only: a full or read-only disk is a
  :class:`~sipelangi_net.errors.StorageError` naming the folder (exit 74), never an internal error;
- the record: step 7 done (and step 8 with the test) or step 7 failed with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipelangi_net.analysis.steps import stored_plan
from sipelangi_net.change.changeset import ChangeSet
from sipelangi_net.change.push import DeployReport, Undo
from sipelangi_net.change.render import Intended
from sipelangi_net.environment import Environment
from sipelangi_net.errors import ConfigError, SipelangiError, StorageError
from sipelangi_net.locks import holding
from sipelangi_net.private import private_dir, write_private
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.validate import printable

log = logging.getLogger(__name__)
JOURNAL = "deploy.journal.json"
SETTLE_MARGIN_S = 5.0
STORE_WAIT_S = 10.0
"""How long a deploy waits for the ticket store to take a write before it touches any device."""


def store_wait() -> float:
    """``SIPELANGI_STORE_WAIT`` (seconds, 0-600), else :data:`STORE_WAIT_S`."""
    text = os.environ.get("SIPELANGI_STORE_WAIT", "")
    if not text:
        return STORE_WAIT_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 600:
        raise ConfigError(f"SIPELANGI_STORE_WAIT={text!r}: give the seconds to wait, 0 to 600")
    return value


@dataclass(frozen=True, slots=True)
class Installed:
    """What one deploy of a ticket did: the report, the bandwidth test (when gated), the timings."""

    report: Any
    tested: Any = None
    deploy_s: float = 0.0
    """Wall time of the deploy including its post-checks and the bandwidth test."""
    waited_s: float = 0.0
    """Time spent waiting for an interrupted run's devices to restore themselves."""


def touched_devices(plan: Any, inventory: Any) -> list[str]:
    from sipelangi_net.change.render import render_plan

    return sorted(render_plan(plan, inventory))


def run_deploy(
    plan: Any,
    inventory: Any,
    *,
    creds: Any,
    backups: Path,
    environment: Environment,
    bandwidth: Any = None,
    dry_run: bool = False,
    confirm_seconds: int = 120,
    progress: Callable[[str, str], None] | None = None,
    approved: ChangeSet | None = None,
) -> tuple[Any, Any]:
    """Deploy (or dry-run) ``plan``; returns the report and the bandwidth gate (None when not gated).

    The post-checks come from ``environment`` (chosen at the edge): the OPD side reaches its
    applications, then the bandwidth gate. A device that cannot be confirmed makes the ones
    already confirmed go back to their backups through a new safe push (``undo``).
    """
    from sipelangi_net.change.push import deploy
    from sipelangi_net.drivers.registry import open_driver

    gate = None
    factory: Any = open_driver
    post_check = None
    if not dry_run:
        factory, probe = environment.post_check(plan, inventory, open_driver)
        checks = [probe]
        if bandwidth is not None:
            from sipelangi_net.bandwidth.gate import BandwidthGate

            gate = BandwidthGate(plan, inventory, environment, bandwidth)
            checks.append(gate)
        post_check = _all([c for c in checks if c is not None])
    report = deploy(
        plan,
        inventory,
        creds,
        driver_factory=factory,
        backups=backups,
        confirm_seconds=confirm_seconds,
        dry_run=dry_run,
        post_check=post_check,
        progress=progress,
        approved=approved,
        undo=_undo(plan.ticket_id, inventory, creds, backups.parent / "undo", confirm_seconds),
    )
    return report, gate


def _undo(ticket_id: str, inventory: Any, creds: Any, folder: Path, confirm_seconds: int) -> Undo:
    """Put confirmed devices back to their backups through the remediation's safe push."""

    def undo(backups: Mapping[str, Intended], expect: Mapping[str, str]) -> DeployReport:
        from sipelangi_net.compliance.remediate import remediate
        from sipelangi_net.drivers.registry import open_driver

        return remediate(
            backups, inventory, creds, driver_factory=open_driver, backups=folder,
            confirm_seconds=confirm_seconds, run_id=ticket_id, expect=expect,
        )  # fmt: skip

    return undo


def _all(checks: list[Callable[[], None]]) -> Callable[[], None] | None:
    def run_all() -> None:
        for check in checks:
            check()

    return run_all if checks else None


def settle_interrupted(journal: Path, *, sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait until a killed run's armed devices have restored themselves; returns the seconds waited."""
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        until = float(data["started"]) + float(data["confirm_seconds"]) + SETTLE_MARGIN_S
    except (OSError, ValueError, KeyError, TypeError):
        until = time.time() + 0.0  # unreadable journal: nothing known to wait for
        data = {}
    wait = max(0.0, until - time.time())
    if wait:
        log.warning(
            "%s: a deploy (pid %s) was interrupted; waiting %.0f s for the devices' revert timers",
            journal.parent.name,
            data.get("pid", "?"),
            wait,
        )
        sleep(wait)
    journal.unlink(missing_ok=True)
    return wait


def write_journal(folder: Path, confirm_seconds: int) -> Path:
    """The journal of a run about to arm devices; StorageError (nothing was pushed) when it cannot."""
    record = {"pid": os.getpid(), "started": time.time(), "confirm_seconds": confirm_seconds}
    try:
        return write_private(private_dir(folder) / JOURNAL, json.dumps(record))
    except StorageError as exc:
        raise exc.but("nothing was pushed to any device") from None


def drop_journal(journal: Path) -> None:
    """Remove the run's journal; one that cannot be removed only makes the next run wait its timers."""
    try:
        journal.unlink()
    except (FileNotFoundError, NotADirectoryError):
        return  # never written (or its folder could not be made)
    except OSError as exc:
        log.warning("%s: cannot remove the deploy journal: %s", journal, exc.strerror or exc)


def install_ticket(
    st: Any,
    ticket_id: str,
    inventory: Any,
    *,
    actor: str,
    creds: Any,
    reports: Path,
    environment: Environment,
    bandwidth: Any = None,
    confirm_seconds: int = 120,
    lock_wait: float = 0.0,
    approved: ChangeSet | None = None,
    started: dt.datetime | None = None,
    progress: Callable[[str, str], None] | None = None,
    slot: Any = None,
) -> Installed:
    """Steps 7 (and 8 when gated) of ``ticket_id``; records the outcome. Raises only before any push.

    ``slot``: the push against the agreed slot (``analysis.window.check_window``'s record), kept on step 7.
    """
    from sipelangi_net.tickets.sqlite import utcnow

    ticket = st.get(ticket_id)
    workflow.may_do(ticket, Move(step=7, actor=actor), now=utcnow())  # refuse before touching devices
    plan = stored_plan(ticket, "deploy")
    folder = reports / ticket_id
    try:
        names = [("ticket", ticket_id)] + [("device", d) for d in touched_devices(plan, inventory)]
    except SipelangiError as exc:  # e.g. a template refused the text: nothing was pushed; record why
        st.apply(ticket_id, Move(step=7, actor=actor, outcome="failed", note=printable(str(exc))[:2000]))
        raise
    with holding(names, purpose=f"deploy {ticket_id}", wait=lock_wait):
        st.ready_to_write(wait=store_wait())  # a store that cannot record stops the run before any device
        waited = settle_interrupted(folder / JOURNAL) if (folder / JOURNAL).exists() else 0.0
        journal = folder / JOURNAL
        t0 = time.monotonic()
        try:
            write_journal(folder, confirm_seconds)
            report, gate = run_deploy(
                plan,
                inventory,
                creds=creds,
                backups=folder / "backups",
                environment=environment,
                bandwidth=bandwidth,
                approved=approved,
                confirm_seconds=confirm_seconds,
                progress=progress,
            )
        except SipelangiError as exc:
            note = printable(str(exc))[:2000]
            st.apply(ticket_id, Move(step=7, actor=actor, outcome="failed", note=note, started_at=started))
            drop_journal(journal)
            raise
        tested = gate.run if gate is not None else None
        record_installation(st, ticket_id, actor, report, tested, started=started, slot=slot)
        drop_journal(journal)
    return Installed(report, tested, deploy_s=time.monotonic() - t0, waited_s=waited)


def record_installation(
    st: Any,
    ticket_id: str,
    actor: str,
    report: Any,
    tested: Any,
    *,
    started: dt.datetime | None = None,
    slot: Any = None,
) -> Ticket:
    """Step 7 done or failed; after a gated push, step 8 with the test (its start ends step 7)."""
    from sipelangi_net.bandwidth.gate import outputs, step8

    out: dict[str, Any] = {"deploy": report.to_json()}
    if slot is not None:
        out["slot"] = slot.model_dump(mode="json")
    ended = None
    if tested is not None and report.ok:
        ended = tested.result.started_at
    elif tested is not None:  # the gate failed: step 8 cannot follow a failed step 7, so keep it here
        out.update(outputs(tested))
    note = "" if report.ok else printable(report.error)[:2000]
    outcome = "done" if report.ok else "failed"
    move = Move(step=7, actor=actor, outcome=outcome, note=note, outputs=out, started_at=started)
    ticket: Ticket = st.apply(ticket_id, move.model_copy(update={"ended_at": ended}) if ended else move)
    if tested is not None and report.ok:
        ticket = st.apply(ticket_id, step8(tested, actor))
    return ticket
