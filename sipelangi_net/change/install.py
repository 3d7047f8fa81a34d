"""SOP steps 7 and 8 on a ticket: the safe push, gated by the bandwidth test, recorded on the ticket.

:func:`install_ticket` is what ``deploy`` and the provisioning playbook run. Around
:func:`sipelangi_net.change.push.deploy` it adds what a ticket needs:

- the post-checks of the :class:`~sipelangi_net.environment.Environment` chosen at the edge (on
  the lab the OPD host reaches its applications; on a real network the gateway device pings
  them), then the bandwidth gate (confirm only when the test passes);
- one change at a time: the ticket's and every touched device's lock, held by the coordinator the
  edge chose (sipelangi_net.coordination: this machine's locks, and a SiPelangi server's leases);
- a store that can record: before any device is touched, the ticket store must take a write
  within ``SIPELANGI_STORE_WAIT`` seconds (default 10), else the run stops (exit 6) naming
  the database and the process holding it;
- a journal per run (``reports/<ticket>/runs/<run-id>.jsonl``, sipelangi_net.change.journal)
  written before and after each phase of each device: when the store cannot take the record
  at the end (locked past its busy timeout) or the run is killed, the next run on the ticket
  records what the journal says first (sipelangi_net.change.reconcile) — with the backups
  taken before the change and the bandwidth result of the real installation — and pushes
  nothing again when the installation was kept;
- files through :mod:`sipelangi_net.private` only: a full or read-only disk is a
  :class:`~sipelangi_net.errors.StorageError` naming the folder (exit 74), never an internal error;
- the record: step 7 done (and step 8 with the test) or step 7 failed with the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipelangi_net.analysis.steps import stored_plan
from sipelangi_net.change.changeset import ChangeSet
from sipelangi_net.change.journal import Journal, close, pending
from sipelangi_net.change.push import DeployReport, DriverFactory, Expected, Note, Undo
from sipelangi_net.change.reconcile import Earlier, reconcile
from sipelangi_net.change.record import record_installation
from sipelangi_net.change.render import Intended
from sipelangi_net.coordination import LOCAL, Coordinator
from sipelangi_net.environment import Environment
from sipelangi_net.errors import ConfigError, SipelangiError, StorageError, StoreError
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.acting import bound_account
from sipelangi_net.tickets.models import Move
from sipelangi_net.validate import printable

log = logging.getLogger(__name__)
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
    reconciled: bool = False
    """The installation of an earlier run, recorded now from its journal (nothing was pushed)."""


def touched_devices(plan: Any, inventory: Any) -> list[str]:
    """What the change of ``plan`` locks: its devices, and the central DHCP server when its gateway
    relays (two changes must not read and set the server's scopes at once)."""
    from sipelangi_net.change.dhcp_target import scope_server
    from sipelangi_net.change.render import render_plan

    server = scope_server(plan, inventory)
    return sorted([*render_plan(plan, inventory), *([server.name] if server is not None else [])])


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
    note: Note | None = None,
    driver_factory: DriverFactory | None = None,
) -> tuple[Any, Any]:
    """Deploy (or dry-run) ``plan``; returns the report and the bandwidth gate (None when not gated).

    The post-checks come from ``environment`` (chosen at the edge): the OPD side reaches its
    applications, then the bandwidth gate. A device that cannot be confirmed makes the ones
    already confirmed go back to their backups through a new safe push (``undo``).
    ``driver_factory``: the devices' drivers (default: the registry's, per platform).
    """
    from sipelangi_net.change.push import deploy

    gate = None
    drivers = driver_factory or default_drivers()
    factory: Any = drivers
    post_check = None
    if not dry_run:
        factory, probe = environment.post_check(plan, inventory, drivers)
        checks = [probe]
        if bandwidth is not None:
            from sipelangi_net.bandwidth.gate import BandwidthGate

            gate = BandwidthGate(plan, inventory, environment, bandwidth)
            checks.append(gate)
            if note is not None:
                checks.append(_noted(gate, note))
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
        note=note,
        undo=_undo(
            plan.ticket_id,
            inventory,
            creds,
            backups.parent / "undo",
            confirm_seconds=confirm_seconds,
            drivers=drivers,
        ),
    )
    return report, gate


def default_drivers() -> DriverFactory:
    from sipelangi_net.drivers.registry import open_driver

    return open_driver


def _undo(
    ticket_id: str, inventory: Any, creds: Any, folder: Path, *, confirm_seconds: int, drivers: DriverFactory
) -> Undo:
    """Put confirmed devices back to their backups through the remediation's safe push."""

    def undo(backups: Mapping[str, Intended], expect: Mapping[str, Expected]) -> DeployReport:
        from sipelangi_net.compliance.remediate import remediate

        return remediate(
            backups, inventory, creds, driver_factory=drivers, backups=folder,
            confirm_seconds=confirm_seconds, run_id=ticket_id, expect=expect,
        )  # fmt: skip

    return undo


def _noted(gate: Any, note: Note) -> Callable[[], None]:
    """After the gate passed (else it raised): its result goes to the journal before any confirm."""

    def journaled() -> None:
        from sipelangi_net.bandwidth.gate import outputs

        if gate.run is not None:
            note("", "bwtest", outputs(gate.run))

    return journaled


@contextlib.contextmanager
def changing(
    st: Any,
    ticket_id: str,
    devices: Iterable[str],
    *,
    purpose: str,
    lock_wait: float,
    coordinator: Coordinator = LOCAL,
) -> Iterator[None]:
    """The ticket's and its devices' locks, and a store that takes a write, before any device is touched.

    A store that stays locked for ``SIPELANGI_STORE_WAIT`` seconds stops the run here (StoreError, exit 6).
    """
    names = [("ticket", ticket_id)] + [("device", d) for d in devices]
    with coordinator.holding(names, purpose=f"{purpose} {ticket_id}", wait=lock_wait):
        st.ready_to_write(wait=store_wait())
        coordinator.check()
        yield


def _all(checks: list[Callable[[], None]]) -> Callable[[], None] | None:
    def run_all() -> None:
        for check in checks:
            check()

    return run_all if checks else None


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
    sleep: Callable[[float], None] = time.sleep,
    driver_factory: DriverFactory | None = None,
    coordinator: Coordinator = LOCAL,
) -> Installed:
    """Steps 7 (and 8 when gated) of ``ticket_id``; records the outcome. Raises only before any push,
    or when the store cannot take the record (it is then kept in the run's journal).

    ``slot``: the push against the agreed slot (``analysis.window.check_window``'s record), kept on step 7.
    ``approved``: the change set the engineer confirmed (see sipelangi_net.change.push).
    """
    from sipelangi_net.tickets.sqlite import utcnow

    ticket = st.get(ticket_id)
    step7 = Move(step=7, actor=actor)
    workflow.may_do(ticket, step7, now=utcnow(), account=bound_account(st))  # refuse before touching devices
    plan = stored_plan(ticket, "deploy")
    folder = reports / ticket_id
    try:
        devices = touched_devices(plan, inventory)
    except SipelangiError as exc:  # e.g. a template refused the text: nothing was pushed; record why
        st.apply(ticket_id, Move(step=7, actor=actor, outcome="failed", note=printable(str(exc))[:2000]))
        raise
    with changing(st, ticket_id, devices, purpose="deploy", lock_wait=lock_wait, coordinator=coordinator):
        drivers = driver_factory or default_drivers()
        undo = _undo(
            ticket_id, inventory, creds, folder / "undo", confirm_seconds=confirm_seconds, drivers=drivers
        )
        earlier = reconcile(st, ticket_id, folder, actor=actor, undo=undo, sleep=sleep)
        if earlier.report is not None:  # an earlier run's installation, recorded now: push nothing again
            return Installed(earlier.report, earlier.tested, waited_s=earlier.waited_s, reconciled=True)
        t0 = time.monotonic()
        journal: Journal | None = None
        try:
            journal = _start_journal(folder, actor, confirm_seconds)
            report, gate = run_deploy(
                plan, inventory, creds=creds, backups=folder / "backups", environment=environment,
                bandwidth=bandwidth, approved=approved, confirm_seconds=confirm_seconds, progress=progress,
                note=journal.note, driver_factory=drivers,
            )  # fmt: skip
        except SipelangiError as exc:  # raised before any device was armed (see push.execute)
            note = printable(str(exc))[:2000]
            st.apply(ticket_id, Move(step=7, actor=actor, outcome="failed", note=note, started_at=started))
            if journal is not None:
                close(journal.path, "settled", why="stopped before any device was armed")
            raise
        report.run_id = journal.run_id
        tested = gate.run if gate is not None else None
        try:
            journal.note("", "report", _report_entry(report, tested, slot, actor, started))
        except StorageError as exc:  # the devices' own entries are there: a rerun can rebuild it
            log.warning("%s: the run's report is not in its journal: %s", ticket_id, exc)
        _record(st, ticket_id, journal.path, report, tested, actor=actor, started=started, slot=slot)
    return Installed(report, tested, deploy_s=time.monotonic() - t0, waited_s=earlier.waited_s)


def recover(
    st: Any,
    ticket_id: str,
    inventory: Any,
    *,
    actor: str,
    creds: Any,
    reports: Path,
    confirm_seconds: int = 120,
    lock_wait: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    driver_factory: DriverFactory | None = None,
    coordinator: Coordinator = LOCAL,
) -> Earlier:
    """Record what earlier runs of the ticket left in their journals (sipelangi_net.change.reconcile).

    What a diff must do first: a run killed mid-change may leave devices armed with it, and a
    diff read then would show the change as already made. Holds the ticket's and its devices'
    locks and needs a store that takes a write, like the deploy.
    """
    folder = reports / ticket_id
    if not pending(folder):
        return Earlier()
    plan = stored_plan(st.get(ticket_id), "deploy")
    devices = touched_devices(plan, inventory)
    how = "record earlier runs of"
    with changing(st, ticket_id, devices, purpose=how, lock_wait=lock_wait, coordinator=coordinator):
        drivers = driver_factory or default_drivers()
        undo = _undo(
            ticket_id, inventory, creds, folder / "undo", confirm_seconds=confirm_seconds, drivers=drivers
        )
        return reconcile(st, ticket_id, folder, actor=actor, undo=undo, sleep=sleep)


def _start_journal(folder: Path, actor: str, confirm_seconds: int) -> Journal:
    try:
        return Journal.start(folder, actor=actor, confirm_seconds=confirm_seconds)
    except StorageError as exc:
        raise exc.but("nothing was pushed to any device") from None


def _report_entry(
    report: Any, tested: Any, slot: Any, actor: str, started: dt.datetime | None
) -> dict[str, Any]:
    from sipelangi_net.bandwidth.gate import outputs

    return {
        "deploy": report.to_json(),
        "tested": outputs(tested) if tested is not None else None,
        "slot": slot.model_dump(mode="json") if slot is not None else None,
        "actor": actor,
        "started": started.isoformat() if started is not None else None,
    }


def _record(
    st: Any, ticket_id: str, journal: Path, report: Any, tested: Any, *, actor: str,
    started: dt.datetime | None, slot: Any,
) -> None:  # fmt: skip
    """The record of a run on the ticket; a store that cannot take it: StoreError saying where it is kept."""
    try:
        record_installation(st, ticket_id, actor, report, tested, started=started, slot=slot)
    except StoreError as exc:
        raise StoreError(
            f"ticket {ticket_id}: {_outcome(report)}, but the ticket store could not record it ({exc});"
            f" what the devices went through is kept in {journal}: run the deploy (or provision) of"
            f" {ticket_id} again once the store answers - it records it from there first and pushes nothing"
            " again"
        ) from None
    close(journal, "recorded")


def _outcome(report: Any) -> str:
    if report.ok:
        return "the change is confirmed on every device" if report.changed else "nothing had to change"
    return f"the change was not kept ({printable(report.error)[:300]})"
