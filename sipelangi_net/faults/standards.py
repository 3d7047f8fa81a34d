"""The fault steps' time standards, set by the team in ``inventory/fault_standards.yaml``.

Per severity (``outage``, ``degraded``, ``minor``) the minutes each of the six steps may take
(see :mod:`sipelangi_net.faults.sop`). A severity the file leaves out keeps its default; a
severity it names must give all six steps. A missing file is :data:`DEFAULTS`. A file that does
not fit raises :class:`~sipelangi_net.errors.InventoryError` naming the file and the field
(``inventory/fault_standards.yaml: outage.fixed: Input should be greater than or equal to 1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sipelangi_net.errors import InventoryError
from sipelangi_net.faults.sop import Severity, StepKey
from sipelangi_net.inventory import read_yaml

STANDARDS_FILE = "fault_standards.yaml"
MAX_STANDARDS_BYTES = 64 * 1024
MAX_MINUTES = 30 * 24 * 60

Minutes = Annotated[int, Field(strict=True, ge=1, le=MAX_MINUTES)]
"""Whole minutes, 1 to 30 days; YAML ``"15"`` or ``15.5`` is refused, not guessed."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepStandards(_Model):
    """The minutes each fault step may take (from the end of the step before it; ``reported`` from
    the fault's start)."""

    reported: Minutes
    triaged: Minutes
    diagnosed: Minutes
    fixed: Minutes
    verified: Minutes
    closed: Minutes

    def minutes(self, key: StepKey) -> int:
        value: int = getattr(self, key)
        return value

    @property
    def total(self) -> int:
        return self.reported + self.triaged + self.diagnosed + self.fixed + self.verified + self.closed


OUTAGE = StepStandards(reported=5, triaged=10, diagnosed=30, fixed=120, verified=15, closed=5)
DEGRADED = StepStandards(reported=15, triaged=30, diagnosed=60, fixed=240, verified=30, closed=10)
MINOR = StepStandards(reported=60, triaged=120, diagnosed=240, fixed=1440, verified=60, closed=30)


class FaultStandards(_Model):
    """Per severity, the six steps' standards in minutes."""

    outage: StepStandards = OUTAGE
    degraded: StepStandards = DEGRADED
    minor: StepStandards = MINOR

    def minutes(self, severity: Severity, key: StepKey) -> int:
        steps: StepStandards = getattr(self, severity)
        return steps.minutes(key)

    def seconds(self, severity: Severity, key: StepKey) -> int:
        return self.minutes(severity, key) * 60


DEFAULTS = FaultStandards()
"""The standards of a city whose team has not written the file (docs/faults.md lists them)."""


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        field = ".".join(str(p) for p in err["loc"]) or "(top)"
        parts.append(f"{field}: {err['msg']}")
    more = len(exc.errors()) - 5
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def parse_standards(raw: Any, path: Path) -> FaultStandards:
    """The standards of the YAML document ``raw`` read from ``path`` (named in errors)."""
    if raw is None:
        return DEFAULTS
    if not isinstance(raw, dict):
        raise InventoryError(f"{path}: expected a mapping of severities (outage, degraded, minor)")
    try:
        return FaultStandards.model_validate(raw)
    except ValidationError as exc:
        raise InventoryError(f"{path}: {_describe(exc)}; fix the fault time standards file") from None


def load_standards(inventory_dir: Path) -> FaultStandards:
    """``inventory_dir/fault_standards.yaml``, validated; :data:`DEFAULTS` when it does not exist."""
    path = inventory_dir / STANDARDS_FILE
    if not path.exists():
        return DEFAULTS
    return parse_standards(read_yaml(path, limit=MAX_STANDARDS_BYTES), path)
