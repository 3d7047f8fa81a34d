"""What the Kepala Bidang's dashboard shows (pure): the SOP steps' working time against their
standards, per step and charged to each role, the months' trend, the requesters' satisfaction, as
rows with Indonesian labels and server-rendered SVG charts (:mod:`sipelangi_net.documents.charts`,
which escapes every label). Nothing here reads a store or a request."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from sipelangi_net.documents.charts import Series, bar_chart, hbar_chart
from sipelangi_net.documents.indonesian import bulan_tahun
from sipelangi_net.documents.intranet import period
from sipelangi_net.documents.parts import SHORT
from sipelangi_net.server.pages.view import minutes
from sipelangi_net.tickets.messages import WIB
from sipelangi_net.tickets.sla import RoleSla, WorkingSla

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TREND_MONTHS = 6
CHOICES = 12
Month = tuple[int, int]


def this_month(now: dt.datetime) -> Month:
    local = now.astimezone(WIB)
    return local.year, local.month


def parse_month(text: str, now: dt.datetime) -> Month | None:
    """``YYYY-MM`` (``""``: this month in WIB); None when it is not a month of 2000-2100."""
    if not text:
        return this_month(now)
    found = MONTH.match(text)
    if found is None or not 2000 <= int(found.group(1)) <= 2100:
        return None
    return int(found.group(1)), int(found.group(2))


def months_back(month: Month, count: int) -> list[Month]:
    """``count`` months ending with ``month``, oldest first."""
    year, m = month
    out = []
    for _ in range(count):
        out.append((year, m))
        year, m = (year - 1, 12) if m == 1 else (year, m - 1)
    return out[::-1]


def key(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def bounds(month: Month) -> tuple[dt.datetime, dt.datetime]:
    return period(*month)


@dataclass(frozen=True, slots=True)
class StepRow:
    step: int
    name: str
    role: str
    standard: str
    count: int
    median: str
    within: str
    breaches: int
    over: str
    breach: bool
    """The median is over the standard."""


@dataclass(frozen=True, slots=True)
class RoleRow:
    role: str
    steps: str
    count: int
    breaches: int
    within: str
    over: str


def _share(value: float | None) -> str:
    return "-" if value is None else f"{round(100 * value)} %"


def step_rows(rows: Sequence[WorkingSla]) -> list[StepRow]:
    return [
        StepRow(
            step=r.step,
            name=SHORT[r.step],
            role=r.role.value,
            standard=minutes(r.standard_s),
            count=r.count,
            median="-" if r.median_s is None else minutes(r.median_s),
            within=_share(r.within),
            breaches=r.breaches,
            over=minutes(r.over_s) if r.over_s else "-",
            breach=r.median_s is not None and r.median_s > r.standard_s,
        )
        for r in rows
    ]


def role_rows(roles: Sequence[RoleSla]) -> list[RoleRow]:
    return [
        RoleRow(
            role=r.role.value,
            steps=", ".join(str(s) for s in r.steps),
            count=r.count,
            breaches=r.breaches,
            within=_share((r.count - r.breaches) / r.count if r.count else None),
            over=minutes(r.over_s) if r.over_s else "-",
        )
        for r in roles
    ]


def step_chart(rows: Sequence[WorkingSla]) -> Markup:
    """The median working time per step (minutes) against its standard (a mark on each bar)."""
    svg = hbar_chart(
        [f"{r.step}. {SHORT[r.step]}" for r in rows],
        [(r.median_s or 0.0) / 60 for r in rows],
        limits=[r.standard_s / 60 for r in rows],
        unit="menit kerja",
        value_name="median waktu kerja",
        limit_name="standar SOP",
    )
    return Markup(svg)  # noqa: S704  # charts.py escapes every label it writes


def trend_chart(months: Sequence[Month], per_month: Sequence[Sequence[WorkingSla]]) -> Markup:
    """Per month: the events within their standard and the breaches (all steps)."""
    labels = [f"{m:02d}/{y % 100:02d}" for y, m in months]
    within = tuple(float(sum(r.count - r.breaches for r in rows)) for rows in per_month)
    breaches = tuple(float(sum(r.breaches for r in rows)) for rows in per_month)
    svg = bar_chart(
        labels, [Series("Dalam standar", within), Series("Melewati standar", breaches)], unit="kejadian"
    )
    return Markup(svg)  # noqa: S704  # charts.py escapes every label it writes


def month_label(month: Month) -> str:
    return bulan_tahun(*month)


def choices(now: dt.datetime) -> list[tuple[str, str]]:
    """The months offered by the filter: this one and the 11 before, newest first."""
    return [(key(m), month_label(m)) for m in months_back(this_month(now), CHOICES)[::-1]]
