"""Availability per OPD (pure): outages merged, clipped to the period, open faults up to now."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipelangi_net.faults.availability import Interval, availability, clip, merge
from sipelangi_net.faults.models import FaultActor, FaultTicket
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.faults.workflow import move, open_fault

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
MONTH_S = (END - START).total_seconds()
MONITOR = FaultActor(role=FaultRole.MONITOR, name="monitor-1")


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def fault(
    number: int,
    opened: float,
    closed: float | None,
    *,
    opds: tuple[str, ...] = ("dinkes",),
    severity: str = "outage",
) -> FaultTicket:
    f = open_fault(
        number=number,
        kind="link_down",
        source="monitor",
        severity=severity,  # type: ignore[arg-type]
        device="dist-gerunggang",
        opds=opds,
        summary="uplink dinkes down",
        opened_at=at(opened),
        reported_at=at(opened),
        actor=MONITOR,
    )
    if closed is not None:
        f = move(f, "verified", at=at(closed), actor=MONITOR)
        f = move(f, "closed", at=at(closed), actor=MONITOR)
    return f


def test_one_closed_outage_counts_its_minutes() -> None:
    (got,) = availability([fault(1, 60, 120)], ["dinkes"], start=START, end=END, now=END)
    assert got.down_s == 3600
    assert got.faults == ("GGN-00001",)
    assert got.availability_pct == pytest.approx(100 * (1 - 3600 / MONTH_S))


def test_overlapping_outages_count_once() -> None:
    faults = [fault(1, 60, 180), fault(2, 120, 240), fault(3, 240, 300)]
    (got,) = availability(faults, ["dinkes"], start=START, end=END, now=END)
    assert got.down_s == 240 * 60  # 60..300, touching intervals joined
    assert got.faults == ("GGN-00001", "GGN-00002", "GGN-00003")


def test_outages_are_clipped_to_the_month() -> None:
    before = fault(1, -120, 60)  # began in October
    after = fault(2, (END - START).total_seconds() / 60 - 30, None)  # still open in December
    (got,) = availability([before, after], ["dinkes"], start=START, end=END, now=END + dt.timedelta(days=3))
    assert got.down_s == 90 * 60


def test_an_open_outage_counts_up_to_now_and_the_month_under_way_ends_now() -> None:
    now = at(24 * 60)
    (got,) = availability([fault(1, 23 * 60, None)], ["dinkes"], start=START, end=END, now=now)
    assert got.period_s == 24 * 3600
    assert got.down_s == 3600


def test_only_outages_naming_the_opd_count() -> None:
    faults = [
        fault(1, 0, 60, severity="degraded"),
        fault(2, 0, 60, severity="minor", opds=()),
        fault(3, 0, 60, opds=("bappeda",)),
    ]
    got = availability(faults, ["dinkes", "bappeda"], start=START, end=END, now=END)
    assert [(a.opd, a.down_s) for a in got] == [("dinkes", 0), ("bappeda", 3600)]
    assert got[0].availability_pct == 100


def test_an_empty_period_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        availability([], ["dinkes"], start=END, end=START, now=END)


minutes = st.integers(min_value=-2000, max_value=50000)
lengths = st.integers(min_value=0, max_value=20000)
spans = st.lists(st.tuples(minutes, lengths), max_size=12)


@settings(max_examples=150, deadline=None)
@given(spans)
def test_merge_gives_disjoint_sorted_intervals_covering_the_same_time(raw: list[tuple[int, int]]) -> None:
    ivs = [Interval(at(a), at(a + d)) for a, d in raw]
    merged = merge(ivs)
    assert all(x.end < y.start for x, y in itertools.pairwise(merged))
    probe = [at(a + d / 2) for a, d in raw if d > 0]
    for t in probe:  # every instant covered before is covered after, and by exactly one interval
        assert sum(1 for m in merged if m.start <= t < m.end) == 1
    assert sum(m.seconds for m in merged) <= sum(max(0.0, i.seconds) for i in ivs) + 1e-6
    assert merge(merged) == merged


@settings(max_examples=150, deadline=None)
@given(spans)
def test_clip_stays_inside_the_period(raw: list[tuple[int, int]]) -> None:
    for iv in clip([Interval(at(a), at(a + d)) for a, d in raw], START, END):
        assert START <= iv.start < iv.end <= END


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(minutes, st.one_of(st.none(), lengths)), max_size=8))
def test_availability_is_between_0_and_100_and_never_counts_more_than_the_period(
    raw: list[tuple[int, int | None]],
) -> None:
    faults = [fault(i + 1, a, None if d is None else a + d) for i, (a, d) in enumerate(raw)]
    (got,) = availability(faults, ["dinkes"], start=START, end=END, now=END)
    assert 0 <= got.availability_pct <= 100
    assert 0 <= got.down_s <= got.period_s
    separate = sum(
        iv.seconds for f in faults for iv in clip([Interval(f.opened_at, f.closed_at or END)], START, END)
    )
    assert got.down_s <= separate + 1e-6
