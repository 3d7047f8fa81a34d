"""The team calendar and the installation slot (SOP step 5), pure apart from :func:`load_calendar`.

``inventory/calendar.yaml`` holds the team's working hours per weekday (blocks
separated by breaks), the national holidays and collective leave, the lead
time, the slot grid, the team's capacity and its bookings. :func:`earliest_slot`
finds the earliest start that fits an installation; :func:`check_slot` lists
what is wrong with a start somebody proposed or agreed. Times are WIB (a fixed
UTC+7: Indonesia has no daylight saving time).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from sipelangi_net.errors import ConfigError, InventoryError
from sipelangi_net.inventory import Text, _parse, read_yaml
from sipelangi_net.tickets.messages import MONTHS, WIB

_T = TypeVar("_T", datetime, int)
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SEARCH_DAYS = 366
_BLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_DASH = "\u2013"  # en dash, as in "09.00\u201310.15"

Interval = tuple[datetime, datetime]


class SchedulingError(ConfigError):
    """No slot fits (or the inputs cannot be scheduled); the message says why and what to change."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Block(_Model):
    """One span of working time in a day, written ``"HH:MM-HH:MM"`` in the calendar file."""

    start: time
    end: time

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, Block):
            return value
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a block of the form 'HH:MM-HH:MM' (24-hour clock)")
        match = _BLOCK.fullmatch(value.strip())
        if match is None:
            raise ValueError(f"{value!r} is not a block of the form 'HH:MM-HH:MM' (24-hour clock)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return {"start": time(h1, m1), "end": time(h2, m2)}

    @model_validator(mode="after")
    def _ordered(self) -> Block:
        if self.start >= self.end:
            raise ValueError(f"block {self.text()} must start before it ends")
        return self

    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


def _in_order(blocks: list[Block]) -> list[Block]:
    """Pydantic ``AfterValidator``: a day's blocks sorted, neither overlapping nor touching."""
    ordered = sorted(blocks, key=lambda b: b.start)
    for before, after in pairwise(ordered):
        if after.start <= before.end:
            raise ValueError(
                f"blocks {before.text()} and {after.text()} overlap or touch;"
                " merge them into one block or leave a break between them"
            )
    return ordered


Blocks = Annotated[list[Block], AfterValidator(_in_order)]


class Booking(_Model):
    """Time the team is committed elsewhere (maintenance, training, meetings)."""

    start: AwareDatetime
    end: AwareDatetime
    what: Text

    @model_validator(mode="after")
    def _ordered(self) -> Booking:
        if self.start >= self.end:
            raise ValueError(f"start {self.start.isoformat()} must be before end {self.end.isoformat()}")
        return self


class Calendar(_Model):
    """The team calendar (``inventory/calendar.yaml``)."""

    timezone: Literal["WIB"]
    working_hours: dict[Weekday, Blocks]
    min_lead_hours: Annotated[int, Field(strict=True, ge=0, le=24 * SEARCH_DAYS)]
    slot_step_min: Annotated[int, Field(strict=True, ge=5, le=120)]
    team_capacity: Annotated[int, Field(strict=True, ge=1, le=50)]
    holidays: dict[date, Text] = {}
    bookings: list[Booking] = []

    def blocks(self, day: date) -> list[Block]:
        """The working blocks of ``day`` (none on a closed weekday or a holiday)."""
        if day in self.holidays:
            return []
        return self.working_hours.get(WEEKDAYS[day.weekday()], [])


@dataclass(frozen=True, slots=True)
class Slot:
    """An installation slot: aware datetimes, in WIB when made by :func:`earliest_slot`."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError("a slot needs aware datetimes")
        if self.start >= self.end:
            raise ValueError("a slot must start before it ends")

    def label_id(self) -> str:
        """Indonesian, e.g. 'Rabu, 2 Desember 2026 pukul 09.00\u201310.15 WIB' (with an en dash)."""
        start, end = self.start.astimezone(WIB), self.end.astimezone(WIB)
        day = f"{DAYS_ID[start.weekday()]}, {start.day} {MONTHS[start.month - 1]} {start.year}"
        return f"{day} pukul {start:%H.%M}{_DASH}{end:%H.%M} WIB"


def load_calendar(path: Path) -> Calendar:
    """Read and validate the calendar file at ``path``; errors name the file and the field."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise InventoryError(
            f"{path}: expected a mapping with timezone, working_hours, min_lead_hours, slot_step_min,"
            " team_capacity, holidays and bookings"
        )
    return _parse(Calendar, raw, path)


# --------------------------------------------------------------------------- pure helpers


def _aware(value: datetime, what: str) -> datetime:
    if value.utcoffset() is None:
        raise SchedulingError(f"{what} {value.isoformat()} needs a time zone (e.g. +07:00 for WIB)")
    return value.astimezone(WIB)


def _span(start: datetime, end: datetime) -> str:
    """'2026-12-03 08:00-12:00 WIB', or with both dates when it runs past midnight."""
    start, end = start.astimezone(WIB), end.astimezone(WIB)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}-{until} WIB"


def _intervals(
    calendar: Calendar, busy: Sequence[Interval], *, describe: bool = True
) -> list[tuple[datetime, datetime, str]]:
    """Bookings and other installations as (start, end, description), all in WIB, sorted.

    ``describe=False`` leaves the descriptions empty (the search does not need them).
    """
    out = [
        (
            b.start.astimezone(WIB),
            b.end.astimezone(WIB),
            f"the booking {b.what!r} ({_span(b.start, b.end)})" if describe else "",
        )
        for b in calendar.bookings
    ]
    for i, (start, end) in enumerate(busy):
        s, e = _aware(start, f"busy[{i}] start"), _aware(end, f"busy[{i}] end")
        if s >= e:
            raise SchedulingError(f"busy[{i}]: start {s.isoformat()} must be before end {e.isoformat()}")
        out.append((s, e, f"another installation ({_span(s, e)})" if describe else ""))
    return sorted(out)


def _overload_end(start: _T, end: _T, intervals: Sequence[tuple[_T, _T]], capacity: int) -> _T | None:
    """Where the first overloaded stretch of [start, end) ends, or None if there is none.

    Overloaded: ``capacity`` or more of ``intervals`` run at once. Intervals are half-open.
    Works on datetimes (check_slot) and on whole minutes (the search).
    """
    events: list[tuple[_T, int]] = []
    for s, e in intervals:
        if s < end and start < e:
            events.extend(((max(s, start), 1), (e, -1)))
    events.sort(key=lambda ev: (ev[0], ev[1]))  # at equal times ends (-1) come before starts
    load = 0
    overloaded = False
    for when, change in events:
        load += change
        if load >= capacity:
            overloaded = True
        elif overloaded:
            return when
    return None


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=WIB)


def _check_duration(calendar: Calendar, duration: timedelta) -> None:
    if duration <= timedelta(0):
        raise SchedulingError(f"the installation duration must be positive, not {duration}")
    blocks = [b for day in calendar.working_hours.values() for b in day]
    if not blocks:
        raise SchedulingError("the calendar has no working hours: fill working_hours in calendar.yaml")
    longest = max(blocks, key=lambda b: b.length)
    if duration > longest.length:
        raise SchedulingError(
            f"the installation takes {_minutes(duration)} min but the longest working block"
            f" ({longest.text()}) is {_minutes(longest.length)} min; installations do not span a break,"
            " so split the work or change working_hours"
        )


def _minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


_EPOCH = datetime(2000, 1, 3, tzinfo=WIB)  # a Monday, midnight WIB: minute 0 of the search clock


@lru_cache(maxsize=65536)
def _minute(value: datetime) -> int:
    """Whole minutes since :data:`_EPOCH`, rounded up (cached: the same bookings come back every search)."""
    seconds = (value - _EPOCH).total_seconds()
    return int(-(-seconds // 60))


def _search(
    calendar: Calendar,
    earliest: datetime,
    duration: timedelta,
    intervals: Sequence[tuple[datetime, datetime, str]],
) -> datetime | None:
    """The earliest fitting start, on a clock of whole minutes since :data:`_EPOCH` (fast: pure ints).

    Starts come in time order and each overload jumps past the stretch that caused it; a sweep
    keeps only the intervals that can still overlap, so the search is linear in the intervals.
    """
    step, dur = calendar.slot_step_min, _minutes(duration)
    ivs = [(_minute(s), _minute(e)) for s, e, _ in intervals]
    first_day = (earliest.astimezone(WIB).date() - _EPOCH.date()).days
    last_day = first_day + SEARCH_DAYS
    blocks_of: dict[int, list[tuple[int, int]]] = {}
    pending, active = 0, []
    t = _minute(earliest)
    while (day := t // 1440) <= last_day:
        if day not in blocks_of:
            date_ = _EPOCH.date() + timedelta(days=day)
            blocks_of[day] = sorted(
                (b.start.hour * 60 + b.start.minute, b.end.hour * 60 + b.end.minute)
                for b in calendar.blocks(date_)
            )
        start = None
        for bs, be in blocks_of[day]:
            s = max(t, day * 1440 + bs)
            s = day * 1440 + -(-(s - day * 1440) // step) * step  # align up on the day's grid
            if s + dur <= day * 1440 + be:
                start = s
                break
        if start is None:
            t = (day + 1) * 1440
            continue
        end = start + dur
        while pending < len(ivs) and ivs[pending][0] < end:
            active.append(ivs[pending])
            pending += 1
        active = [iv for iv in active if iv[1] > start]
        free_from = _overload_end(start, end, active, calendar.team_capacity)
        if free_from is None:
            return _EPOCH + timedelta(minutes=start)
        t = max(free_from, start + step)
    return None


# --------------------------------------------------------------------------- the two entry points


def earliest_slot(
    calendar: Calendar,
    *,
    duration: timedelta,
    now: datetime,
    busy: Sequence[tuple[datetime, datetime]] = (),
) -> Slot:
    """The earliest slot of ``duration`` that starts at least ``min_lead_hours`` after ``now``.

    The start lies on the ``slot_step_min`` grid (counted from midnight WIB), the slot
    lies inside one working block of a working day that is not a holiday, and at no
    instant does it run alongside ``team_capacity`` or more of the calendar's bookings
    and the ``busy`` intervals (other tickets' installations). Searches
    :data:`SEARCH_DAYS` days ahead; raises :class:`SchedulingError` when nothing fits.
    """
    _check_duration(calendar, duration)
    earliest = _aware(now, "now") + timedelta(hours=calendar.min_lead_hours)
    found = _search(calendar, earliest, duration, _intervals(calendar, busy, describe=False))
    if found is not None:
        return Slot(found, found + duration)
    raise SchedulingError(
        f"no free slot of {_minutes(duration)} min within {SEARCH_DAYS} days after"
        f" {earliest:%Y-%m-%d %H:%M} WIB; check bookings, holidays and working_hours in calendar.yaml"
    )


def _working_hours_problems(calendar: Calendar, start: datetime, end: datetime) -> list[str]:
    day = start.date()
    name = _DAYS_EN[day.weekday()]
    if day in calendar.holidays:
        return [f"{day.isoformat()} is a holiday: {calendar.holidays[day]}"]
    blocks = calendar.working_hours.get(WEEKDAYS[day.weekday()], [])
    if not blocks:
        return [f"{day.isoformat()} is a {name}, not a working day"]
    hours = f"{name}: {', '.join(b.text() for b in blocks)}"
    for i, block in enumerate(blocks):
        if not _at(day, block.start) <= start < _at(day, block.end):
            continue
        if end <= _at(day, block.end):
            return []
        if i + 1 < len(blocks):
            return [f"crosses the break {block.end:%H:%M}-{blocks[i + 1].start:%H:%M} ({hours})"]
        return [f"runs past the end of working hours at {block.end:%H:%M} ({hours})"]
    return [f"starts at {start:%H:%M}, outside working hours ({hours})"]


def check_slot(
    calendar: Calendar,
    start: datetime,
    *,
    duration: timedelta,
    busy: Sequence[tuple[datetime, datetime]] = (),
) -> list[str]:
    """Every problem with an installation at ``start`` for ``duration``; an empty list means it is fine.

    Checks the time zone, the working day and hours (holidays named, breaks
    crossed) and the team's capacity against the bookings (named by what they
    are) and ``busy`` (other installations). The lead time and the slot grid are
    not checked: an agreed start may be any minute.
    """
    if duration <= timedelta(0):
        raise SchedulingError(f"the installation duration must be positive, not {duration}")
    if start.utcoffset() is None:
        return [f"start {start.isoformat()} needs a time zone (e.g. +07:00 for WIB)"]
    local = start.astimezone(WIB)
    end = local + duration
    problems = _working_hours_problems(calendar, local, end)
    intervals = _intervals(calendar, busy)
    capacity = calendar.team_capacity
    if _overload_end(local, end, [(s, e) for s, e, _ in intervals], capacity) is not None:
        problems.extend(
            f"overlaps {what} (team_capacity: {capacity} at a time)"
            for s, e, what in intervals
            if s < end and local < e
        )
    return problems


def crowding(
    calendar: Calendar,
    start: datetime,
    end: datetime,
    others: Sequence[tuple[str, datetime, datetime]],
) -> tuple[str, ...]:
    """Who leaves no room for an installation in [``start``, ``end``): empty when it fits.

    ``others`` are other installations (name, start, end). When, at some instant of the slot,
    they and the calendar's bookings already run ``team_capacity`` at once, the answer names every
    one of them that overlaps the slot (the others by name, a booking as ``the booking 'what'``).
    """
    s, e = _aware(start, "start").astimezone(WIB), _aware(end, "end").astimezone(WIB)
    intervals = _intervals(calendar, [(a, b) for _, a, b in others], describe=False)
    if _overload_end(s, e, [(a, b) for a, b, _ in intervals], calendar.team_capacity) is None:
        return ()
    names = [name for name, a, b in others if a < e and s < b]
    names += [f"the booking {b.what!r}" for b in calendar.bookings if b.start < e and s < b.end]
    return tuple(names)
