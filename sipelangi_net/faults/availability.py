"""Availability per OPD over a period, from the fault record (pure, no I/O).

An OPD is down while a fault of severity ``outage`` naming it is open: from the fault's start
(``opened_at``) to its close (``closed`` step), or to ``now`` while it is still open. Faults
that overlap count once (their intervals are merged), and only the part inside the period
counts (clipped). Availability is ``100 * (1 - down / period)``, from 0 to 100.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sipelangi_net.faults.models import FaultTicket


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """``[start, end)``, time-zone aware; ``end`` not before ``start``."""

    start: dt.datetime
    end: dt.datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """The union of ``intervals`` as disjoint intervals in time order (touching ones joined)."""
    out: list[Interval] = []
    for iv in sorted(i for i in intervals if i.end > i.start):
        if out and iv.start <= out[-1].end:
            out[-1] = Interval(out[-1].start, max(out[-1].end, iv.end))
        else:
            out.append(iv)
    return tuple(out)


def clip(intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime) -> tuple[Interval, ...]:
    """The parts of ``intervals`` inside ``[start, end)`` (empty parts dropped)."""
    out = []
    for iv in intervals:
        lo, hi = max(iv.start, start), min(iv.end, end)
        if hi > lo:
            out.append(Interval(lo, hi))
    return tuple(out)


def outage_interval(fault: FaultTicket, now: dt.datetime) -> Interval | None:
    """When ``fault`` cut its OPDs off: opened to closed (or ``now`` while open); None if not an outage."""
    if fault.severity != "outage":
        return None
    end = fault.closed_at or max(now, fault.opened_at)
    return Interval(fault.opened_at, end)


@dataclass(frozen=True, slots=True)
class OpdAvailability:
    """One OPD's month: the seconds it was cut off and its availability."""

    opd: str
    period_s: float
    down_s: float
    faults: tuple[str, ...]
    """The ``GGN-`` labels of the outages that touched the period."""

    @property
    def availability_pct(self) -> float:
        if self.period_s <= 0:
            return 100.0
        return max(0.0, min(100.0, 100.0 * (1.0 - self.down_s / self.period_s)))

    def to_json(self) -> dict[str, Any]:
        return {
            "opd": self.opd,
            "period_s": self.period_s,
            "down_s": self.down_s,
            "availability_pct": round(self.availability_pct, 3),
            "faults": list(self.faults),
        }


def availability(
    faults: Sequence[FaultTicket],
    opds: Iterable[str],
    *,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> tuple[OpdAvailability, ...]:
    """Per OPD of ``opds`` (in that order), its availability in ``[start, end)``.

    The period ends at ``now`` when ``now`` falls inside it (the month under way): time not yet
    lived is neither up nor down.
    """
    if end <= start:
        raise ValueError(f"period {start.isoformat()} to {end.isoformat()} is empty")
    until = min(end, max(now, start))
    out = []
    for opd in dict.fromkeys(opds):
        spans: list[Interval] = []
        labels: list[str] = []
        for fault in faults:
            iv = outage_interval(fault, now) if opd in fault.opds else None
            inside = clip((iv,), start, until) if iv is not None else ()
            if inside:
                spans.extend(inside)
                labels.append(fault.label)
        down = sum(iv.seconds for iv in merge(spans))
        out.append(OpdAvailability(opd, (until - start).total_seconds(), down, tuple(labels)))
    return tuple(out)
