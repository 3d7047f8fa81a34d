"""The typed results of a compliance run (one frozen value per stage)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["compliant", "drift", "unreachable", "error"]


@dataclass(frozen=True, slots=True)
class FeatureResult:
    """One feature of one device: compliant or not, and how to fix it.

    ``missing`` and ``extra`` are config lines in the device's own form: a line inside a
    section is preceded by its section header (indentation shows the hierarchy), as in
    Nautobot Golden Config; ``remediation`` is exactly what would be sent.
    """

    name: str
    compliant: bool
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    remediation: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "compliant": self.compliant,
            "missing": list(self.missing),
            "extra": list(self.extra),
            "remediation": list(self.remediation),
        }


@dataclass(frozen=True, slots=True)
class DeviceCompliance:
    device: str
    platform: str
    status: Status
    site: str | None = None
    features: tuple[FeatureResult, ...] = ()
    error: str = ""
    backup: str = ""
    """The backup file's path inside the backup repository (empty when none was kept)."""

    @property
    def remediation(self) -> tuple[str, ...]:
        return tuple(line for f in self.features for line in f.remediation)

    @property
    def drifted(self) -> tuple[FeatureResult, ...]:
        return tuple(f for f in self.features if not f.compliant)

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "site": self.site,
            "platform": self.platform,
            "status": self.status,
            "features": [f.to_json() for f in self.features],
            "error": self.error,
            "backup": self.backup,
        }


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    started_at: dt.datetime
    finished_at: dt.datetime
    devices: tuple[DeviceCompliance, ...] = ()
    backup_commit: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    skipped: tuple[Any, ...] = ()
    """Tickets left out of the intended configs (``tickets.outputs.Skipped``: malformed records)."""

    def count(self, status: Status) -> int:
        return sum(1 for d in self.devices if d.status == status)

    @property
    def compliant(self) -> bool:
        return all(d.status == "compliant" for d in self.devices)

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "summary": {s: self.count(s) for s in ("compliant", "drift", "unreachable", "error")},
            "backup_commit": self.backup_commit,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "devices": [d.to_json() for d in self.devices],
            "skipped": [s.to_json() for s in self.skipped],
        }
