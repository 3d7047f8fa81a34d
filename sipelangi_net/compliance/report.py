"""Reports of a compliance run: terminal text, ``compliance.json`` and an HTML page (file writers).

``reports/compliance/<date>/compliance.json`` keeps the shape other tools read (see
docs/compliance.md); ``report.html`` is rendered from ``templates/compliance/report.html.j2``
with autoescaping on (device text is never trusted as HTML).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jinja2

from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance
from sipelangi_net.logs import scrub
from sipelangi_net.paths import reports_dir, template_dirs
from sipelangi_net.private import private_dir, write_private


def report_dir(started_at: dt.datetime, *, tz: dt.tzinfo | None = None, root: Path | None = None) -> Path:
    """``reports/compliance/<date>``: the run's local date (``tz``, default UTC)."""
    day = started_at.astimezone(tz or dt.UTC).date().isoformat()
    return (root or reports_dir()) / "compliance" / day


def _line(device: DeviceCompliance) -> str:
    head = f"{device.device:<22} {device.platform:<5} {device.status:<11}"
    if device.status in ("unreachable", "error"):
        return f"{head} {device.error}"
    drifted = ", ".join(
        f"{f.name} (-{len(f.missing)} +{len(f.extra)})" for f in device.drifted
    )  # missing / extra
    return f"{head} {drifted}".rstrip()


def summary_text(report: ComplianceReport, *, quiet: bool = False, details: bool = True) -> str:
    """The terminal summary. ``quiet`` (mail from cron/systemd): nothing at all when every device is
    compliant, otherwise only the devices that are not, with their lines."""
    if quiet and report.compliant:
        return ""
    lines = []
    for device in report.devices:
        if quiet and device.status == "compliant":
            continue
        lines.append(_line(device))
        for feature in device.drifted if details else ():
            lines += [f"    [{feature.name}] missing: {ln}" for ln in feature.missing]
            lines += [f"    [{feature.name}] extra:   {ln}" for ln in feature.extra]
    counts = ", ".join(
        f"{report.count(s)} {s}" for s in ("compliant", "drift", "unreachable", "error") if report.count(s)
    )
    lines.append(f"{len(report.devices)} devices: {counts or 'none'}")
    return scrub("\n".join(lines))


def scrubbed(value: Any) -> Any:
    """``value`` (JSON data) with every string scrubbed of secrets (never the JSON text itself)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrubbed(v) for v in value]
    return value


def write_json(report: ComplianceReport, folder: Path) -> Path:
    private_dir(folder)  # device configs and findings: 0600 files in a 0700 folder
    text = json.dumps(scrubbed(report.to_json()), indent=2, ensure_ascii=False)
    return write_private(folder / "compliance.json", text + "\n")  # atomic: never half a file


def write_html(report: ComplianceReport, folder: Path, *, root: Path | None = None) -> Path:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(r) for r in ((root,) if root else template_dirs())]),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["scrub"] = scrub
    html = env.get_template("compliance/report.html.j2").render(report=report)
    private_dir(folder)
    return write_private(folder / "report.html", html)
