"""Safe change (SOP step 7): backup, diff, arm, push, post-check, then confirm — or roll back.

Every device of a ticket ends confirmed, or every device is rolled back and checked to run
exactly its backup again. The revert timer lives on the device (commit-confirm), so a change
is undone even when this process or its SSH session dies before it confirms.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from sipelangi_net.credentials import Credentials
from sipelangi_net.diff import DeviceDiff, diff_device
from sipelangi_net.drivers.base import DeviceDriver
from sipelangi_net.errors import DeviceError, SipelangiError, StorageError
from sipelangi_net.inventory import Inventory
from sipelangi_net.platforms import Platform
from sipelangi_net.private import private_dir, write_private
from sipelangi_net.render import Intended, render_plan

log = logging.getLogger(__name__)
State = Literal["unchanged", "confirmed", "rolled_back", "failed"]
DriverFactory = Callable[[Any, Credentials], DeviceDriver]
PostCheck = Callable[[], None]
Progress = Callable[[str, str], None]
"""``progress(device, what)``: called as each device is read, armed, pushed, confirmed or restored."""


def _quiet(_device: str, _what: str) -> None:
    return None


HEADER = ("Building configuration", "Current configuration")


def normalise(platform: str, config: str) -> str:
    """The running config without volatile lines, for comparing a restore with its backup."""
    if platform == Platform.OVS.value:
        try:
            data = json.loads(config)
            return json.dumps(sorted(data.get("data", [])), sort_keys=True)
        except (ValueError, AttributeError, TypeError):
            return config.strip()
    lines = [ln.rstrip() for ln in config.splitlines()]
    return "\n".join(ln for ln in lines if ln and not ln.startswith(HEADER))


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


def config_digest(platform: str, config: str) -> str:
    """The SHA-256 of ``config`` without its volatile lines (see :func:`normalise`)."""
    return hashlib.sha256(normalise(platform, config).encode()).hexdigest()


@dataclass
class DeployReport:
    ticket_id: str
    ok: bool = True
    changed: bool = False
    error: str = ""
    devices: list[DeviceResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _backup(path: Path, device: str, platform: str, running: str) -> tuple[str, str]:
    digest = hashlib.sha256(running.encode()).hexdigest()
    private_dir(path)
    target = write_private(path / f"{device}.{digest[:12]}.{'json' if platform == 'ovs' else 'cfg'}", running)
    return digest, str(target)


def _backups(run: _Run, backups: Path) -> None:
    """Every device's running config under ``backups``; a failed write stops the run before any push."""
    try:
        for name, running in run.running.items():
            digest, path = _backup(backups, name, run.drivers[name].platform, running)
            run.results[name].backup_sha256, run.results[name].backup_path = digest, path
    except StorageError as exc:
        raise exc.but("nothing was pushed to any device (no backup, no change)") from None


class _Run:
    def __init__(
        self, ticket_id: str, drivers: Mapping[str, DeviceDriver], intended: Mapping[str, Intended]
    ) -> None:
        self.ticket_id = ticket_id
        self.drivers = drivers
        self.intended = intended
        self.running: dict[str, str] = {}
        self.diffs: dict[str, DeviceDiff] = {}
        self.results = {d: DeviceResult(device=d, platform=drv.platform) for d, drv in drivers.items()}
        self.armed: list[str] = []
        self.progress: Progress = _quiet

    def each(self, fn: Callable[[str], None], names: list[str]) -> list[tuple[str, SipelangiError]]:
        """Run ``fn`` for every device in parallel; collect the devices' errors."""
        errors: list[tuple[str, SipelangiError]] = []

        def one(name: str) -> None:
            try:
                fn(name)
            except SipelangiError as exc:
                errors.append((name, exc))

        with ThreadPoolExecutor(max(1, min(8, len(names)))) as pool:
            list(pool.map(one, names))
        return sorted(errors, key=lambda e: e[0])

    def read_and_diff(self, name: str) -> None:
        drv = self.drivers[name]
        self.running[name] = drv.get_config()
        intended = self.intended[name]
        self.diffs[name] = diff_device(name, Platform(drv.platform), self.running[name], intended.text)
        self.results[name].commands = self.diffs[name].commands
        n = len(self.diffs[name].commands)
        self.progress(name, f"read; {n} commands to send" if n else "read; no changes")

    def arm(self, name: str, seconds: int) -> None:
        self.drivers[name].arm(seconds)
        self.armed.append(name)
        self.progress(name, f"armed: reverts in {seconds} s unless confirmed")

    def restore(self, name: str) -> None:
        drv = self.drivers[name]
        drv.rollback()
        now = drv.get_config()
        result = self.results[name]
        result.state = "rolled_back"
        result.verified = normalise(drv.platform, now) == normalise(drv.platform, self.running[name])
        self.progress(name, "rolled back" + ("; identical to the backup" if result.verified else "; DIFFERS"))
        if not result.verified:
            raise DeviceError(name, "rolled back, but the running config differs from the backup")


def _fail(
    run: _Run, report: DeployReport, what: str, errors: list[tuple[str, SipelangiError]]
) -> DeployReport:
    report.ok = False
    report.error = f"{what}: " + "; ".join(str(e) for _, e in errors)
    for name, exc in errors:
        run.results[name].error = str(exc)
        run.results[name].state = "failed"
    if run.armed:
        for name, exc in run.each(run.restore, list(run.armed)):
            run.results[name].error = (
                run.results[name].error + "; " if run.results[name].error else ""
            ) + str(exc)
            report.error += f"; ROLLBACK NOT VERIFIED on {name}: {exc}"
    report.devices = list(run.results.values())
    return report


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
) -> DeployReport:
    """Deploy ``plan``'s intended configs; see the module docstring for the guarantees."""
    intended = render_plan(plan, inventory)
    drivers = {name: driver_factory(inventory.devices[name], creds) for name in intended}
    run = _Run(plan.ticket_id, drivers, intended)
    if progress is not None:
        run.progress = progress
    return execute(
        run, backups=backups, confirm_seconds=confirm_seconds, dry_run=dry_run, post_check=post_check
    )


def execute(
    run: _Run,
    *,
    backups: Path,
    confirm_seconds: int,
    dry_run: bool = False,
    post_check: PostCheck | None = None,
) -> DeployReport:
    """The safe push of ``run``'s devices: open, read and diff, back up, arm, push, check, confirm.

    :func:`deploy` (a ticket's plan) and compliance remediation (a device's whole intended
    config, with its own diff) share it; the drivers are closed at the end in every case.
    """
    drivers = run.drivers
    report = DeployReport(ticket_id=run.ticket_id)
    try:
        errors = run.each(lambda n: drivers[n].open(), list(drivers))
        if errors:
            return _fail(run, report, "cannot reach every device", errors)
        errors = run.each(run.read_and_diff, list(drivers))
        if errors:
            return _fail(run, report, "cannot read or compare the running configs", errors)
        _backups(run, backups)
        changed = [n for n, d in run.diffs.items() if d.changed]
        report.changed = bool(changed)
        if dry_run or not changed:
            report.devices = list(run.results.values())
            return report
        return _push(run, report, changed, confirm_seconds, post_check)
    finally:
        for drv in drivers.values():
            drv.close()


def _push(
    run: _Run, report: DeployReport, changed: list[str], confirm_seconds: int, post_check: PostCheck | None
) -> DeployReport:
    errors = run.each(lambda n: run.arm(n, confirm_seconds), changed)
    if errors:
        return _fail(run, report, "cannot arm the revert timer", errors)
    errors = run.each(lambda n: _push_one(run, n), changed)
    if errors:
        return _fail(run, report, "the change was rejected", errors)
    errors = run.each(lambda n: _verify_present(run, n), changed)
    if errors:
        return _fail(run, report, "post-check failed", errors)
    if post_check is not None:
        try:
            post_check()
        except SipelangiError as exc:
            return _fail(run, report, "post-check failed", [(changed[0], exc)])
    return _confirm(run, report, changed)


def _confirm(run: _Run, report: DeployReport, changed: list[str]) -> DeployReport:
    errors = dict(run.each(lambda n: run.drivers[n].confirm(), changed))
    for name in changed:
        result = run.results[name]
        if name in errors:
            result.state, result.error = "failed", str(errors[name])
        else:
            result.state = "confirmed"
            run.progress(name, "confirmed")
    if errors:
        report.ok = False
        report.error = "confirm failed (the device's timer restores it): " + "; ".join(
            map(str, errors.values())
        )
    report.devices = list(run.results.values())
    return report


def _push_one(run: _Run, name: str) -> None:
    run.drivers[name].push(run.diffs[name].commands)
    run.progress(name, f"pushed {len(run.diffs[name].commands)} commands")


def _verify_present(run: _Run, name: str) -> None:
    drv = run.drivers[name]
    now = drv.get_config()
    run.results[name].after_sha256 = config_digest(drv.platform, now)
    left = diff_device(name, Platform(drv.platform), now, run.intended[name].text)
    if left.changed:
        raise DeviceError(
            name, f"after the push these lines are still missing: {'; '.join(left.commands)[:300]}"
        )
