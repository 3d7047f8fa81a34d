"""Safe change (SOP step 7): read, diff, backup, arm, push, post-check, then confirm — or roll back.

All or nothing across the devices of a change: every device ends confirmed, or every device
is put back to its backup and checked to run exactly that backup again — the armed ones by
their own revert timer's snapshot, the ones already confirmed (when a later one cannot be)
through a new safe push of their backup (``undo``). The revert timer lives on the device
(commit-confirm), so a change is undone even when this process, its SSH session or the
management path dies before it confirms; a device that cannot be reached is named with the
time its timer restores it.

What is pushed is an approved :class:`~sipelangi_net.change.changeset.ChangeSet` when one is
given: a device whose running config is no longer the one it was computed from stops the
change before anything is sent to any device. The device work runs as Nornir tasks
(:mod:`sipelangi_net.change.engine`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from sipelangi_net.change.changeset import ChangeSet, DeviceChange
from sipelangi_net.change.dhcp_target import DhcpTarget, ScopeResult, dhcp_target
from sipelangi_net.change.diff import DeviceDiff, diff_device, ovs_port_lines
from sipelangi_net.change.engine import Engine
from sipelangi_net.change.render import Intended, render_plan
from sipelangi_net.change.routeros_text import canonical_lines
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.base import DeviceDriver
from sipelangi_net.errors import ChangedSince, DeviceError, SipelangiError, StorageError
from sipelangi_net.inventory import Inventory
from sipelangi_net.platforms import PLATFORMS, Platform, resolve, spec_for
from sipelangi_net.private import private_dir, write_private

log = logging.getLogger(__name__)
State = Literal["unchanged", "confirmed", "rolled_back", "failed"]
DriverFactory = Callable[[Any, Credentials], DeviceDriver]
PostCheck = Callable[[], None]
Expected = str | frozenset[str]
"""The digest (:func:`config_digest`) a device's running config must have, or the digests it may have."""
Undo = Callable[[Mapping[str, Intended], Mapping[str, Expected]], "DeployReport"]
"""``undo(backups, expect)``: put confirmed devices back to ``backups`` (as intended configs) through a
new safe push; ``expect``: per device the digest its running config must have (the change's)."""
Progress = Callable[[str, str], None]
"""``progress(device, what)``: called as each device is read, armed, pushed, confirmed or restored."""
Note = Callable[[str, str, Mapping[str, Any]], None]
"""``note(device, phase, data)``: the run's journal (sipelangi_net.change.journal), written as each
device passes a phase: ``backup``, ``armed``, ``pushed``, ``verified``, ``confirmed``,
``rolled_back``, ``put_back``; and ``note("", "change", ...)`` with the change set before any backup.
A note that cannot be written fails that device's phase (so the change is rolled back)."""


def _unnoted(_device: str, _phase: str, _data: Mapping[str, Any]) -> None:
    return None


def _quiet(_device: str, _what: str) -> None:
    return None


HEADER = ("Building configuration", "Current configuration")


def normalise_ovs(config: str) -> str:
    """The OVS port table (JSON) with its rows sorted: the order ovsdb lists them in changes."""
    try:
        data = json.loads(config)
        return json.dumps(sorted(data.get("data", [])), sort_keys=True)
    except (ValueError, AttributeError, TypeError):
        return config.strip()


def normalise_routeros(config: str) -> str:
    """``/export`` without its ``# <date> <time> by RouterOS ...`` header (it changes every time)."""
    return "\n".join(canonical_lines(config))


def _without_header(config: str) -> str:
    lines = [ln.rstrip() for ln in config.splitlines()]
    return "\n".join(ln for ln in lines if ln and not ln.startswith(HEADER))


NORMALISE: Mapping[Platform, Callable[[str], str]] = MappingProxyType(
    {
        p: resolve(s.config.normaliser) if s.config.normaliser else _without_header
        for p, s in PLATFORMS.items()
    }
)
"""Per platform (its spec's ``config.normaliser``): how to drop its config text's volatile parts."""


def normalise(platform: Platform, config: str) -> str:
    """The running config without volatile lines, for comparing a restore with its backup."""
    return NORMALISE[Platform(platform)](config)


@dataclass
class DeviceResult:
    device: str
    platform: str
    backup_sha256: str = ""
    backup_path: str = ""
    commands: tuple[str, ...] = ()
    state: State = "unchanged"
    verified: bool | None = None
    error: str = ""
    after_sha256: str = ""
    """SHA-256 of the normalised running config right after the push (a later rollback checks it)."""


def config_digest(platform: Platform, config: str) -> str:
    """The SHA-256 of ``config`` without its volatile lines (see :func:`normalise`)."""
    return hashlib.sha256(normalise(platform, config).encode()).hexdigest()


@dataclass
class DeployReport:
    ticket_id: str
    ok: bool = True
    changed: bool = False
    error: str = ""
    devices: list[DeviceResult] = field(default_factory=list)
    change_set: str = ""
    """The :attr:`ChangeSet.digest` read (dry run) or pushed."""
    run_id: str = ""
    """The run's journal (``reports/<ticket>/runs/<run_id>.jsonl``), for a ticket's deploy."""
    change: ChangeSet | None = field(default=None, repr=False, compare=False)
    """The change set itself (what a confirmation approves); not part of the JSON."""
    dhcp: ScopeResult | None = None
    """The OPD's scope on the central DHCP server, for a gateway that relays (else None)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["change"]
        return data


def backup_intended(device: str, platform: Platform, backup: str) -> Intended:
    """A device's backup as the intended config the diff reads (the OVS port table: its port lines)."""
    known = Platform(platform)
    if spec_for(known).config.format != "ovs-json":
        return Intended(device, known.value, backup)
    return Intended(device, known.value, "\n".join(ovs_port_lines(device, backup)) + "\n")


def _backup(path: Path, device: str, platform: Platform, running: str) -> tuple[str, str]:
    digest = hashlib.sha256(running.encode()).hexdigest()
    private_dir(path)
    extension = spec_for(platform).config.extension
    target = write_private(path / f"{device}.{digest[:12]}.{extension}", running)
    return digest, str(target)


def _backups(run: _Run, backups: Path) -> None:
    """Every device's running config under ``backups``; a failed write stops the run before any push."""
    try:
        for name, running in run.running.items():
            digest, path = _backup(backups, name, Platform(run.drivers[name].platform), running)
            run.results[name].backup_sha256, run.results[name].backup_path = digest, path
            run.note(name, "backup", {"sha256": digest, "path": path})
    except StorageError as exc:
        raise exc.but("nothing was pushed to any device (no backup, no change)") from None
    if run.dhcp is not None:
        digest, path = run.dhcp.backup(backups)
        run.note(run.dhcp.server, "backup", {"sha256": digest, "path": path})


class _Run:
    def __init__(
        self, ticket_id: str, drivers: Mapping[str, DeviceDriver], intended: Mapping[str, Intended]
    ) -> None:
        self.ticket_id = ticket_id
        self.drivers = drivers
        self.intended = intended
        self.engine = Engine(drivers)
        self.running: dict[str, str] = {}
        self.diffs: dict[str, DeviceDiff] = {}
        self.results = {d: DeviceResult(device=d, platform=drv.platform) for d, drv in drivers.items()}
        self.armed: list[str] = []
        self.reverts_at: dict[str, float] = {}
        """Per armed device, when (epoch seconds) its own timer restores it at the latest."""
        self.progress: Progress = _quiet
        self.note: Note = _unnoted
        self.undo: Undo | None = None
        self.dhcp: DhcpTarget | None = None
        """The central DHCP server's part (sipelangi_net.change.dhcp_target), or None."""

    def each(
        self, fn: Callable[[str], None], names: list[str], what: str
    ) -> list[tuple[str, SipelangiError]]:
        """``fn`` on every device of ``names`` at once (Nornir tasks); the devices' errors."""
        return self.engine.run(fn, names, name=what).errors

    def read_and_diff(self, name: str) -> None:
        drv = self.drivers[name]
        self.running[name] = drv.get_config()
        intended = self.intended[name]
        self.diffs[name] = diff_device(name, Platform(drv.platform), self.running[name], intended.text)
        self.results[name].commands = self.diffs[name].commands
        n = len(self.diffs[name].commands)
        self.progress(name, f"read; {n} commands to send" if n else "read; no changes")

    def change_set(self) -> ChangeSet:
        """What the devices read now would be sent (the diff stage's result, frozen)."""
        devices = tuple(
            DeviceChange(
                device=name,
                platform=self.drivers[name].platform,
                running_sha256=config_digest(Platform(self.drivers[name].platform), self.running[name]),
                commands=self.diffs[name].commands,
            )
            for name in sorted(self.diffs)
        )
        return ChangeSet(self.ticket_id, devices, self.dhcp.change() if self.dhcp is not None else None)

    def read_scope(self) -> None:
        assert self.dhcp is not None
        self.dhcp.read()
        n = len(self.dhcp.result.commands)
        self.progress(
            self.dhcp.server, f"read; {n} DHCP scope commands" if n else "read; the scope is in place"
        )

    def set_scope(self) -> None:
        assert self.dhcp is not None
        self.dhcp.apply()
        self.note(self.dhcp.server, "pushed", {"scope": self.dhcp.result.subnet})
        self.progress(self.dhcp.server, f"DHCP scope {self.dhcp.result.subnet} set")

    def restore_scope(self, report: DeployReport) -> None:
        """The DHCP server's scopes back to the backup when this run set the scope."""
        if self.dhcp is None or not self.dhcp.applied or self.dhcp.result.state == "rolled_back":
            return
        try:
            self.dhcp.restore()
        except SipelangiError as exc:
            report.error += f"; DHCP scope NOT restored by this run: {exc}"
            return
        finally:
            self.note(self.dhcp.server, "rolled_back", {"verified": self.dhcp.result.verified})
        self.progress(self.dhcp.server, "DHCP scopes restored; identical to the backup")

    def arm(self, name: str, seconds: int) -> None:
        self.reverts_at[name] = time.time() + seconds
        self.note(name, "arming", {"until": self.reverts_at[name]})
        self.drivers[name].arm(seconds)
        self.armed.append(name)
        self.note(name, "armed", {"until": self.reverts_at[name]})
        self.progress(name, f"armed: reverts in {seconds} s unless confirmed")

    def restore(self, name: str) -> None:
        drv = self.drivers[name]
        try:
            drv.rollback()
            now = drv.get_config()
        except DeviceError as exc:
            raise DeviceError(name, f"{_strip(name, exc)}; {self.on_its_own(name)}") from None
        result = self.results[name]
        result.state = "rolled_back"
        platform = Platform(drv.platform)
        result.verified = normalise(platform, now) == normalise(platform, self.running[name])
        self.note(name, "rolled_back", {"verified": result.verified})
        self.progress(name, "rolled back" + ("; identical to the backup" if result.verified else "; DIFFERS"))
        if not result.verified:
            raise DeviceError(name, "rolled back, but the running config differs from the backup")

    def on_its_own(self, name: str) -> str:
        """What an armed device does without us: its timer restores the backup, and when."""
        at = self.reverts_at.get(name)
        if at is None:
            return "it was not armed, so nothing was changed on it"
        when = time.strftime("%H:%M:%S UTC", time.gmtime(at))
        return f"its own revert timer restores its backup by {when}: check it then"


def _strip(name: str, exc: SipelangiError) -> str:
    return str(exc).removeprefix(f"{name}: ")


def _fail(
    run: _Run, report: DeployReport, what: str, errors: list[tuple[str, SipelangiError]]
) -> DeployReport:
    """Every armed device back to its backup (their timers' snapshots); the report says what failed."""
    report.ok = False
    report.error = f"{what}: " + "; ".join(str(e) for _, e in errors)
    for name, exc in errors:
        result = run.results.get(name) or (run.dhcp.result if run.dhcp is not None else None)
        if result is not None:
            result.error = str(exc)
            result.state = "failed"
    _roll_back(run, report, list(run.armed))
    run.restore_scope(report)
    report.devices = list(run.results.values())
    return report


def _roll_back(run: _Run, report: DeployReport, names: list[str]) -> None:
    for name, exc in run.each(run.restore, names, "roll back"):
        result = run.results[name]
        result.state = "failed"
        result.error = (result.error + "; " if result.error else "") + str(exc)
        report.error += f"; NOT ROLLED BACK by this run: {exc}"


def deploy(
    plan: Any,
    inventory: Inventory,
    creds: Credentials,
    *,
    driver_factory: DriverFactory,
    backups: Path,
    confirm_seconds: int = 120,
    dry_run: bool = False,
    post_check: PostCheck | None = None,
    progress: Progress | None = None,
    approved: ChangeSet | None = None,
    undo: Undo | None = None,
    note: Note | None = None,
) -> DeployReport:
    """Deploy ``plan``'s intended configs; see the module docstring for the guarantees.

    ``approved``: the change set the engineer confirmed; it is what is pushed, and only while
    every device still runs the config it was computed from (else nothing is pushed anywhere).
    """
    intended = render_plan(plan, inventory)
    drivers = {name: driver_factory(inventory.devices[name], creds) for name in intended}
    run = _Run(plan.ticket_id, drivers, intended)
    run.dhcp = dhcp_target(plan, inventory, creds, driver_factory)
    run.undo = undo
    if progress is not None:
        run.progress = progress
    if note is not None:
        run.note = note
    return execute(
        run,
        backups=backups,
        confirm_seconds=confirm_seconds,
        dry_run=dry_run,
        post_check=post_check,
        approved=approved,
    )


def execute(
    run: _Run,
    *,
    backups: Path,
    confirm_seconds: int,
    dry_run: bool = False,
    post_check: PostCheck | None = None,
    approved: ChangeSet | None = None,
) -> DeployReport:
    """The safe push of ``run``'s devices: open, read and diff, back up, arm, push, check, confirm.

    :func:`deploy` (a ticket's plan) and compliance remediation (a device's whole intended
    config, with its own diff) share it; the drivers are closed at the end in every case.
    """
    drivers = run.drivers
    report = DeployReport(ticket_id=run.ticket_id, dhcp=run.dhcp.result if run.dhcp is not None else None)
    try:
        errors = run.each(lambda n: drivers[n].open(), list(drivers), "open")
        if errors:
            return _fail(run, report, "cannot reach every device", errors)
        errors = run.each(run.read_and_diff, list(drivers), "read and diff")
        if errors:
            return _fail(run, report, "cannot read or compare the running configs", errors)
        if run.dhcp is not None:
            try:
                run.read_scope()
            except SipelangiError as exc:
                why = "cannot fit the OPD's scope in the central DHCP server's scopes"
                return _fail(run, report, why, [(run.dhcp.server, exc)])
        current = run.change_set()
        report.change_set, report.change = current.digest, current
        devices = [asdict(d) for d in current.devices]
        scope = {"dhcp": asdict(current.dhcp)} if current.dhcp is not None else {}
        run.note("", "change", {"digest": current.digest, "devices": devices, **scope})
        if approved is not None and approved.digest != current.digest:
            return _refuse(run, report, approved, current)
        _backups(run, backups)
        changed = list(current.changed)
        report.changed = bool(changed) or (current.dhcp is not None and current.dhcp.changed)
        if dry_run or not report.changed:
            report.devices = list(run.results.values())
            return report
        return _push(run, report, changed, confirm_seconds, post_check)
    finally:
        for drv in drivers.values():
            drv.close()
        if run.dhcp is not None:
            run.dhcp.close()


def _refuse(run: _Run, report: DeployReport, approved: ChangeSet, current: ChangeSet) -> DeployReport:
    """The devices are not where the approved change set was made: nothing is sent to any of them."""
    try:
        approved.check_current(current.running_digests())
        why = (
            "the change to send is not the one confirmed (the plan or the templates changed since);"
            " nothing was pushed to any device: run the diff again and confirm the new one"
        )
    except ChangedSince as exc:
        why = _strip(run.ticket_id, exc)
    report.ok = False
    report.error = why
    report.devices = list(run.results.values())
    return report


def _push(
    run: _Run, report: DeployReport, changed: list[str], confirm_seconds: int, post_check: PostCheck | None
) -> DeployReport:
    if run.dhcp is not None and run.dhcp.result.commands:
        # Before any device is armed: a server that refuses the scope leaves every device untouched.
        try:
            run.set_scope()
        except SipelangiError as exc:
            return _fail(run, report, "the central DHCP server refused the scope", [(run.dhcp.server, exc)])
    errors = run.each(lambda n: run.arm(n, confirm_seconds), changed, "arm")
    if errors:
        return _fail(run, report, "cannot arm the revert timer", errors)
    errors = run.each(lambda n: _push_one(run, n), changed, "push")
    if errors:
        return _fail(run, report, "the change was rejected", errors)
    errors = run.each(lambda n: _verify_present(run, n), changed, "verify")
    if errors:
        return _fail(run, report, "post-check failed", errors)
    if post_check is not None:
        try:
            post_check()
        except SipelangiError as exc:
            return _fail(run, report, "post-check failed", [(changed[0], exc)])
    return _confirm(run, report, changed)


def _confirm(run: _Run, report: DeployReport, changed: list[str]) -> DeployReport:
    """Confirm one device after the other; the first that cannot be confirmed undoes them all."""
    confirmed: list[str] = []
    for name in changed:
        run.note(name, "confirming", {})
        errors = run.each(lambda n: run.drivers[n].confirm(), [name], "confirm")
        if errors:
            return _unwind(run, report, confirmed, name, errors[0][1])
        run.results[name].state = "confirmed"
        run.armed.remove(name)
        run.note(name, "confirmed", {})
        confirmed.append(name)
        run.progress(name, "confirmed")
    report.devices = list(run.results.values())
    return report


def _unwind(
    run: _Run, report: DeployReport, confirmed: list[str], failing: str, exc: SipelangiError
) -> DeployReport:
    """``failing`` could not be confirmed: the armed ones roll back, the confirmed ones are undone."""
    _fail(run, report, "confirm failed", [(failing, exc)])
    if confirmed:
        _undo_confirmed(run, report, confirmed)
    report.devices = list(run.results.values())
    return report


def _undo_confirmed(run: _Run, report: DeployReport, confirmed: list[str]) -> None:
    """Put devices already confirmed back to their backups through a new safe push (``run.undo``)."""
    if run.undo is None:
        report.error += f"; STILL CHANGED (no undo for this run): {', '.join(confirmed)}"
        return
    backups = {n: backup_intended(n, Platform(run.drivers[n].platform), run.running[n]) for n in confirmed}
    expect = {n: run.results[n].after_sha256 for n in confirmed}
    try:
        undone = run.undo(backups, expect)
    except SipelangiError as exc:
        undone = DeployReport(ticket_id=run.ticket_id, ok=False, error=str(exc))
    by_name = {d.device: d for d in undone.devices}
    for name in confirmed:
        result, back = run.results[name], by_name.get(name)
        if undone.ok and back is not None:
            result.state, result.verified = "rolled_back", True
            run.note(name, "put_back", {})
            run.progress(name, "put back to its backup (it had been confirmed)")
        else:
            result.state = "failed"
            result.error = f"confirmed, then NOT put back: {back.error if back else undone.error}"
    if undone.ok:
        report.error += f"; put back to their backups: {', '.join(confirmed)}"
    else:
        report.error += f"; NOT put back, still changed: {', '.join(confirmed)} ({undone.error})"


def _push_one(run: _Run, name: str) -> None:
    run.drivers[name].push(run.diffs[name].commands)
    run.note(name, "pushed", {})
    run.progress(name, f"pushed {len(run.diffs[name].commands)} commands")


def _verify_present(run: _Run, name: str) -> None:
    drv = run.drivers[name]
    now = drv.get_config()
    run.results[name].after_sha256 = config_digest(Platform(drv.platform), now)
    run.note(name, "verified", {"after_sha256": run.results[name].after_sha256})
    left = diff_device(name, Platform(drv.platform), now, run.intended[name].text)
    if left.changed:
        raise DeviceError(
            name, f"after the push these lines are still missing: {'; '.join(left.commands)[:300]}"
        )
