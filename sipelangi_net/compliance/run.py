"""The compliance stage: collect → back up → compare → report (the CLI and playbooks call this).

:func:`evaluate` is pure (collected configs + intended configs → results);
:func:`run_compliance` does the I/O around it and returns one frozen
:class:`~sipelangi_net.compliance.models.ComplianceReport`. Writing the report files and the
fault tickets is left to the caller (see :mod:`.report`, :mod:`.faults`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from sipelangi_net.change.render import Intended
from sipelangi_net.compliance.collect import Collected, collect
from sipelangi_net.compliance.compare import check_device
from sipelangi_net.compliance.intended import intended_configs, provisioned
from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance
from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import ConfigError
from sipelangi_net.inventory import Inventory
from sipelangi_net.platforms import Platform
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Skipped

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def select_devices(
    inventory: Inventory,
    *,
    hosts: Sequence[str] = (),
    groups: Sequence[str] = (),
    sites: Sequence[str] = (),
) -> list[str]:
    """The inventory devices matching every filter given (each filter: any of its values)."""
    unknown = sorted(set(hosts) - set(inventory.devices))
    if unknown:
        raise ConfigError(
            f"--host: no device named {', '.join(unknown)} in {inventory.path / 'hosts.yaml'}; check the name"
        )
    chosen = []
    for name, dev in sorted(inventory.devices.items()):
        if hosts and name not in hosts:
            continue
        if groups and not set(groups) & set(dev.groups):
            continue
        if sites and dev.data.site not in sites:
            continue
        chosen.append(name)
    if not chosen:
        raise ConfigError("no device matches --host/--group/--site; check the filters")
    return chosen


def evaluate(
    collected: Mapping[str, Collected],
    intended: Mapping[str, Intended],
    *,
    sites: Mapping[str, str | None] | None = None,
    backups: Mapping[str, str] | None = None,
) -> tuple[DeviceCompliance, ...]:
    """Per device: unreachable, or its compliance against its intended config (pure)."""
    out = []
    for name, got in sorted(collected.items()):
        site = (sites or {}).get(name)
        if got.running is None:
            out.append(DeviceCompliance(name, got.platform, "unreachable", site=site, error=got.error))
            continue
        result = check_device(name, Platform(got.platform), got.running, intended[name].text, site=site)
        out.append(replace(result, backup=(backups or {}).get(name, "")))
    return tuple(out)


def run_compliance(
    inventory_dir: Path,
    inventory: Inventory,
    creds: Credentials,
    tickets: Iterable[Ticket],
    *,
    devices: Sequence[str] | None = None,
    backups: Path | None = None,
    workers: int = 20,
    clock: Clock = _now,
    skipped: Sequence[Skipped] = (),
) -> ComplianceReport:
    """Check ``devices`` (default: all): collect in parallel, back up, compare with the intended.

    ``skipped``: tickets the store already left out; with those whose record does not fit the
    schema they are listed in the report (``skipped``), never fatal to the run.
    """
    from sipelangi_net.compliance.backup import backup_configs

    started = clock()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    left_out = list(skipped)
    installed = provisioned(tickets, skipped=left_out)
    intended = intended_configs(inventory, installed, devices=devices, skipped=left_out)
    t1 = time.perf_counter()
    collected = collect(inventory_dir, creds, devices, workers=workers)
    t2 = time.perf_counter()
    kept = {n: (c.platform, c.running) for n, c in collected.items() if c.running is not None}
    backup = backup_configs(backups, kept, when=started) if backups is not None else None
    t3 = time.perf_counter()
    sites = {name: inventory.devices[name].data.site for name in collected}
    results = evaluate(collected, intended, sites=sites, backups=backup.files if backup else None)
    t4 = time.perf_counter()
    timings.update(intended=t1 - t0, collect=t2 - t1, backup=t3 - t2, compare=t4 - t3)
    for r in results:
        if r.status != "compliant":
            log.info("%s: %s %s", r.device, r.status, r.error or ", ".join(f.name for f in r.drifted))
    return ComplianceReport(
        started_at=started,
        finished_at=clock(),
        devices=results,
        backup_commit=backup.commit if backup else "",
        timings=timings,
        skipped=tuple(left_out),
    )
