"""The latest compliance run (``reports/compliance/<date>/compliance.json``), read for the intranet report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from sipelangi_net.errors import DocumentInputError

Status = Literal["compliant", "drift", "unreachable", "error"]


class ComplianceDevice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    device: str
    site: str | None = None
    """None for devices outside any OPD site (the core)."""
    platform: str = ""
    status: Status
    features: list[Any] = []
    error: str | None = None


class ComplianceRun(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    started_at: dt.datetime
    finished_at: dt.datetime
    devices: tuple[ComplianceDevice, ...]


def _folder_date(path: Path) -> dt.date | None:
    try:
        return dt.date.fromisoformat(path.name[:10])
    except ValueError:
        return None


def latest_compliance(reports: Path, *, before: dt.date) -> tuple[Path, ComplianceRun] | None:
    """The newest ``compliance/<date>/compliance.json`` dated before ``before``, or None if there is none."""
    root = reports / "compliance"
    if not root.is_dir():
        return None
    dated = []
    for folder in root.iterdir():
        day = _folder_date(folder)
        if day is not None and day < before and (folder / "compliance.json").is_file():
            dated.append((day, folder.name, folder / "compliance.json"))
    if not dated:
        return None
    path = max(dated)[2]
    try:
        return path, ComplianceRun.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        first = exc.errors(include_url=False)[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise DocumentInputError(f"{path}: not a readable compliance result ({first})") from None
