"""Time against the SOP standard (pure): per step, how long it took and how often within standard.

:func:`summarise` counts wall-clock time (the CLI's and the intranet report's figures);
:func:`working_summary` counts working time on the city's calendar (:class:`WorkClock`: the
weekday blocks of ``inventory/calendar.yaml``, its holidays left out) and :func:`per_role` charges
each step's figures to the role the SOP names for it (the Kepala Bidang's dashboard).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sipelangi_net.analysis.schedule import Calendar
from sipelangi_net.tickets.messages import WIB
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.sop import BRANCH_BY_OUTCOME, STEPS, Role


@dataclass(frozen=True, slots=True)
class StepSla:
    step: int
    title: str
    standard_s: int
    count: int
    median_s: float | None
    within_standard: float | None
    """Share of the step's events (0..1) that took no longer than the standard."""
    breaches: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summarise(
    tickets: Iterable[Ticket], *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[StepSla]:
    """Per SOP step, over events that ended in [since, until)."""
    durations: dict[int, list[float]] = {s.number: [] for s in STEPS}
    for ticket in tickets:
        for event in ticket.events:
            if since is not None and event.ended_at < since:
                continue
            if until is not None and event.ended_at >= until:
                continue
            durations[event.step].append(event.duration_s)
    out = []
    for s in STEPS:
        values = durations[s.number]
        within = sum(1 for v in values if v <= s.standard_s)
        out.append(
            StepSla(
                step=s.number,
                title=s.title,
                standard_s=s.standard_s,
                count=len(values),
                median_s=statistics.median(values) if values else None,
                within_standard=within / len(values) if values else None,
                breaches=len(values) - within,
            )
        )
    return out


# --------------------------------------------------------------------------- working time


@dataclass(frozen=True, slots=True)
class EventTime:
    """What the SLA needs of one recorded event (:meth:`SqliteStore.event_times` reads only this)."""

    step: int
    outcome: str
    started: float
    """POSIX seconds."""
    ended: float
    """POSIX seconds."""

    @classmethod
    def of(cls, step: int, outcome: str, started_at: dt.datetime, ended_at: dt.datetime) -> EventTime:
        return cls(step, outcome, started_at.timestamp(), ended_at.timestamp())


_DAY_S = 86400
_WIB_S = 7 * 3600
_EPOCH_DAY = dt.date(1970, 1, 1)


class WorkClock:
    """Working time on the city's calendar (``inventory/calendar.yaml``): its weekday blocks, no
    holidays, in WIB (a fixed UTC+7). Each day's blocks are turned into POSIX seconds once and kept,
    so a duration is a few float comparisons (the dashboard counts tens of thousands)."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._days: dict[int, tuple[tuple[float, float], ...]] = {}

    def _blocks(self, day: int) -> tuple[tuple[float, float], ...]:
        """The working blocks of WIB day number ``day`` (days since 1970-01-01) in POSIX seconds."""
        found = self._days.get(day)
        if found is None:
            date = _EPOCH_DAY + dt.timedelta(days=day)
            found = tuple(
                (
                    dt.datetime.combine(date, b.start, tzinfo=WIB).timestamp(),
                    dt.datetime.combine(date, b.end, tzinfo=WIB).timestamp(),
                )
                for b in self.calendar.blocks(date)
            )
            self._days[day] = found
        return found

    def seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working seconds in [start, end): the parts of it inside working blocks of working days."""
        return self.between(start.timestamp(), end.timestamp())

    def between(self, a: float, b: float) -> float:
        """:meth:`seconds` of POSIX seconds (rounded to the millisecond: times read as POSIX seconds
        by SQLite's ``julianday`` are a few microseconds off)."""
        if b <= a:
            return 0.0
        total = 0.0
        day, last = int((a + _WIB_S) // _DAY_S), int((b + _WIB_S) // _DAY_S)
        while day <= last:
            for lo, hi in self._blocks(day):
                lo, hi = max(a, lo), min(b, hi)  # noqa: PLW2901
                if lo < hi:
                    total += hi - lo
            day += 1
        return round(total, 3)  # whole milliseconds: the stored times' precision, not the float's


@dataclass(frozen=True, slots=True)
class WorkingSla:
    """One SOP step over a period, in working time, charged to the role that owns the step."""

    step: int
    role: Role
    standard_s: int
    count: int
    median_s: float | None
    breaches: int
    """Events whose working time exceeded the standard."""
    over_s: float
    """Working time above the standard, summed over the breaches."""

    @property
    def within(self) -> float | None:
        """Share (0..1) of the step's events within the standard."""
        return (self.count - self.breaches) / self.count if self.count else None


@dataclass(frozen=True, slots=True)
class RoleSla:
    """The steps a role owns, over a period: their events, breaches and time above the standards."""

    role: Role
    steps: tuple[int, ...]
    count: int
    breaches: int
    over_s: float


def counted(event: EventTime) -> bool:
    """Whether an event counts for its step's time: the step itself (done, failed, approve, defer),
    not a branch recorded on it (a resubmission, the Kepala Bidang's acknowledgement, a withdrawal)."""
    return (event.step, event.outcome) not in BRANCH_BY_OUTCOME


def working_summary(events: Iterable[EventTime], clock: WorkClock) -> list[WorkingSla]:
    """Per SOP step: the median working time, the breaches and the time above the standard."""
    durations: dict[int, list[float]] = {s.number: [] for s in STEPS}
    for event in events:
        if counted(event):
            durations[event.step].append(clock.between(event.started, event.ended))
    return step_figures(durations)


def step_figures(durations: Mapping[int, Sequence[float]]) -> list[WorkingSla]:
    """Per SOP step, from its events' working durations in seconds (a step left out had none)."""
    out = []
    for s in STEPS:
        values = durations.get(s.number, ())
        over = [v - s.standard_s for v in values if v > s.standard_s]
        out.append(
            WorkingSla(
                step=s.number,
                role=s.role,
                standard_s=s.standard_s,
                count=len(values),
                median_s=statistics.median(values) if values else None,
                breaches=len(over),
                over_s=sum(over),
            )
        )
    return out


def per_role(rows: Iterable[WorkingSla]) -> list[RoleSla]:
    """The steps' figures charged to the role that owns each step (the SOP's roles, in its order)."""
    listed = list(rows)
    out = []
    for role in Role:
        mine = [r for r in listed if r.role == role]
        if mine:
            out.append(
                RoleSla(
                    role=role,
                    steps=tuple(r.step for r in mine),
                    count=sum(r.count for r in mine),
                    breaches=sum(r.breaches for r in mine),
                    over_s=sum(r.over_s for r in mine),
                )
            )
    return out
