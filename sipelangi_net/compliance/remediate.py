"""Remediation through the safe push of provisioning (:mod:`sipelangi_net.change.push`).

Per chosen device: open, read the running config *now* and recompute the remediation (never
a stale one from the report), back it up, arm the device-side revert timer (commit-confirm),
push, check that every intended line is present, then the post-check: every device must be
fully compliant (nothing missing, nothing extra). Then confirm — or every armed device is
rolled back and verified to run its backup again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sipelangi_net.change.diff import DeviceDiff
from sipelangi_net.change.push import DeployReport, DriverFactory, Expected, _Run, config_digest, execute
from sipelangi_net.change.render import Intended
from sipelangi_net.compliance.compare import check_device
from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import DeviceError
from sipelangi_net.inventory import Inventory
from sipelangi_net.platforms import Platform

RUN_ID = "compliance"


class _RemediationRun(_Run):
    expect: Mapping[str, Expected] = {}
    """Per device, the digest its running config must have (else: changed since, refuse)."""

    def read_and_diff(self, name: str) -> None:
        drv = self.drivers[name]
        self.running[name] = drv.get_config()
        want = self.expect.get(name)
        allowed = {want} if isinstance(want, str) else want
        if allowed is not None and config_digest(Platform(drv.platform), self.running[name]) not in allowed:
            raise DeviceError(name, "its config changed since the change being undone; nothing was sent")
        result = check_device(name, Platform(drv.platform), self.running[name], self.intended[name].text)
        if result.status == "error" or (result.status == "drift" and not result.remediation):
            why = result.error or "drifted, but the diff has no command that fixes it"
            raise DeviceError(name, why.removeprefix(f"{name}: "))
        self.diffs[name] = DeviceDiff(name, drv.platform, result.remediation, ())
        self.results[name].commands = result.remediation

    def still_drifting(self, names: list[str]) -> None:
        for name in names:
            drv = self.drivers[name]
            now = check_device(name, Platform(drv.platform), drv.get_config(), self.intended[name].text)
            if now.status != "compliant":
                what = now.error or ", ".join(f.name for f in now.drifted)
                raise DeviceError(name, f"still not compliant after the remediation: {what}")


def remediate(
    intended: Mapping[str, Intended],
    inventory: Inventory,
    creds: Credentials,
    *,
    driver_factory: DriverFactory,
    backups: Path,
    confirm_seconds: int = 120,
    dry_run: bool = False,
    run_id: str = RUN_ID,
    expect: Mapping[str, Expected] | None = None,
) -> DeployReport:
    """Make every device of ``intended`` run exactly its intended config (see the module docstring).

    ``expect``: per device, the digest (:func:`~sipelangi_net.change.push.config_digest`) its running
    config must have now; a device whose config differs is refused before anything is sent.
    """
    drivers = {name: driver_factory(inventory.devices[name], creds) for name in intended}
    run = _RemediationRun(run_id, drivers, intended)
    run.expect = expect or {}

    def compliant() -> None:
        run.still_drifting([n for n, d in run.diffs.items() if d.changed])

    return execute(
        run, backups=backups, confirm_seconds=confirm_seconds, dry_run=dry_run, post_check=compliant
    )
