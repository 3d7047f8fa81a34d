"""The team calendar and SOP step 5's installation slot: earliest_slot, check_slot, load_calendar."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inventory_edit import SHIPPED_INVENTORY, edit_yaml, read_yaml

from sipelangi_net.analysis.schedule import (
    WEEKDAYS,
    Calendar,
    SchedulingError,
    Slot,
    check_slot,
    earliest_slot,
    load_calendar,
)
from sipelangi_net.errors import ConfigError, InventoryError
from sipelangi_net.tickets.messages import WIB

CALENDAR_FILE = SHIPPED_INVENTORY / "calendar.yaml"
SHIPPED = load_calendar(CALENDAR_FILE)
HOUR = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
INSTALL = dt.timedelta(minutes=70)  # SOP steps 7 and 8: install 60 min + test 10 min


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=WIB)


def calendar(**changes: Any) -> Calendar:
    """A small calendar without holidays or bookings (unless given), with a 24-hour lead."""
    base: dict[str, Any] = {
        "timezone": "WIB",
        "working_hours": {
            "mon": ["07:30-12:00", "13:00-16:00"],
            "tue": ["07:30-12:00", "13:00-16:00"],
            "wed": ["07:30-12:00", "13:00-16:00"],
            "thu": ["07:30-12:00", "13:00-16:00"],
            "fri": ["07:30-11:30", "13:00-16:30"],
            "sat": [],
            "sun": [],
        },
        "min_lead_hours": 24,
        "slot_step_min": 30,
        "team_capacity": 1,
        "holidays": {},
        "bookings": [],
    }
    base.update(changes)
    return Calendar.model_validate(base)


# --------------------------------------------------------------------------- the shipped calendar


def test_shipped_calendar_loads() -> None:
    raw = read_yaml(CALENDAR_FILE)
    assert SHIPPED.timezone == "WIB"
    assert SHIPPED.min_lead_hours == 24
    assert SHIPPED.slot_step_min == 30
    assert SHIPPED.team_capacity == 1
    assert set(SHIPPED.working_hours) == set(WEEKDAYS)
    assert [b.text() for b in SHIPPED.working_hours["mon"]] == ["07:30-12:00", "13:00-16:00"]
    assert [b.text() for b in SHIPPED.working_hours["fri"]] == ["07:30-11:30", "13:00-16:30"]
    assert SHIPPED.working_hours["sat"] == [] and SHIPPED.working_hours["sun"] == []
    assert len(SHIPPED.holidays) == len(raw["holidays"])
    assert {d.year for d in SHIPPED.holidays} == {2026, 2027}
    assert len(SHIPPED.bookings) == len(raw["bookings"])
    for booking in SHIPPED.bookings:
        assert booking.start.utcoffset() == 7 * HOUR
        assert (booking.start.year, booking.start.month) == (2026, 12)


@pytest.mark.parametrize(
    ("day", "word"),
    [
        (dt.date(2026, 1, 1), "Tahun Baru"),
        (dt.date(2026, 3, 19), "Nyepi"),
        (dt.date(2026, 3, 21), "Idul Fitri"),
        (dt.date(2026, 8, 17), "Kemerdekaan"),
        (dt.date(2026, 12, 25), "Natal"),
        (dt.date(2027, 8, 17), "Kemerdekaan"),
    ],
)
def test_shipped_holidays_include_the_fixed_ones(day: dt.date, word: str) -> None:
    assert word in SHIPPED.holidays[day]


def test_shipped_collective_leave_of_2026() -> None:
    leave = sorted(d for d, name in SHIPPED.holidays.items() if d.year == 2026 and "Cuti bersama" in name)
    assert len(leave) == 8  # SKB 2026: 8 days of cuti bersama
    assert len([d for d in SHIPPED.holidays if d.year == 2026]) == 25  # + 17 national holidays


# --------------------------------------------------------------------------- earliest_slot


def test_first_slot_after_the_lead_time() -> None:
    slot = earliest_slot(calendar(), duration=INSTALL, now=wib(2026, 12, 1, 9, 0))
    assert slot == Slot(wib(2026, 12, 2, 9, 0), wib(2026, 12, 2, 10, 10))
    assert slot.start.tzinfo is WIB


def test_start_is_aligned_to_the_grid() -> None:
    slot = earliest_slot(calendar(), duration=INSTALL, now=wib(2026, 12, 1, 9, 1, 30))
    assert slot.start == wib(2026, 12, 2, 9, 30)
    other = earliest_slot(calendar(slot_step_min=15), duration=INSTALL, now=wib(2026, 12, 1, 9, 1))
    assert other.start == wib(2026, 12, 2, 9, 15)


def test_now_in_another_time_zone_is_converted() -> None:
    now_utc = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 09:00 WIB
    assert earliest_slot(calendar(), duration=INSTALL, now=now_utc).start == wib(2026, 12, 2, 9, 0)


def test_lead_time_is_respected() -> None:
    now = wib(2026, 12, 1, 9, 0)
    no_lead = earliest_slot(calendar(min_lead_hours=0), duration=INSTALL, now=now)
    long_lead = earliest_slot(calendar(min_lead_hours=72), duration=INSTALL, now=now)
    assert no_lead.start == now
    assert long_lead.start == wib(2026, 12, 4, 9, 0)


def test_skips_the_weekend() -> None:
    # Thursday 10:30 + 24 h = Friday 10:30: 70 min do not fit before Friday's 11:30 prayer break,
    # the afternoon does; from Friday 16:00 the next working day is Monday.
    assert earliest_slot(calendar(), duration=INSTALL, now=wib(2026, 12, 3, 10, 30)).start == wib(
        2026, 12, 4, 13, 0
    )
    assert earliest_slot(calendar(), duration=INSTALL, now=wib(2026, 12, 3, 16, 0)).start == wib(
        2026, 12, 7, 7, 30
    )


def test_skips_a_holiday_from_the_shipped_file() -> None:
    independence = dt.date(2026, 8, 17)  # Monday
    assert "Kemerdekaan" in SHIPPED.holidays[independence]
    # Friday afternoon + 24 h = Saturday: the weekend and the Monday holiday are skipped.
    slot = earliest_slot(SHIPPED, duration=INSTALL, now=wib(2026, 8, 14, 15, 0))
    assert slot.start == wib(2026, 8, 18, 7, 30)
    assert slot.label_id() == "Selasa, 18 Agustus 2026 pukul 07.30\u201308.40 WIB"


def test_skips_the_lebaran_week() -> None:
    # 18-24 March 2026: Nyepi, Idul Fitri and their collective leave, one week without work.
    slot = earliest_slot(SHIPPED, duration=INSTALL, now=wib(2026, 3, 16, 16, 0))
    assert slot.start == wib(2026, 3, 25, 7, 30)


def test_does_not_span_a_break() -> None:
    cal = calendar(min_lead_hours=0)
    slot = earliest_slot(cal, duration=INSTALL, now=wib(2026, 12, 2, 11, 0))
    assert slot.start == wib(2026, 12, 2, 13, 0)
    # 4 h 20 min fit neither Friday block (4 h, 3 h 30 min) but Monday's morning (4 h 30 min).
    friday = earliest_slot(cal, duration=dt.timedelta(minutes=260), now=wib(2026, 12, 4, 7, 30))
    assert friday.start == wib(2026, 12, 7, 7, 30)


def test_a_long_installation_fits_only_the_long_block() -> None:
    cal = calendar(min_lead_hours=0)
    slot = earliest_slot(cal, duration=dt.timedelta(minutes=210), now=wib(2026, 12, 4, 8, 30))
    assert slot.start == wib(2026, 12, 4, 13, 0)  # Friday 13:00-16:30 is the only block left that day


def test_skips_a_shipped_booking() -> None:
    # 3 December 2026: maintenance at the core from 08:00 to 12:00.
    maintenance = SHIPPED.bookings[0]
    assert maintenance.start == wib(2026, 12, 3, 8, 0)
    slot = earliest_slot(SHIPPED, duration=INSTALL, now=wib(2026, 12, 2, 7, 0))
    assert slot.start == wib(2026, 12, 3, 13, 0)


def test_skips_a_two_day_booking() -> None:
    # 8-9 December 2026: training, Tuesday 07:30 to Wednesday 16:00.
    slot = earliest_slot(SHIPPED, duration=INSTALL, now=wib(2026, 12, 7, 9, 0))
    assert slot.start == wib(2026, 12, 10, 7, 30)


def test_a_booking_ending_at_the_start_does_not_clash() -> None:
    booking = {"start": wib(2026, 12, 2, 8, 0), "end": wib(2026, 12, 2, 9, 0), "what": "Rapat"}
    cal = calendar(min_lead_hours=0, bookings=[booking])
    assert earliest_slot(cal, duration=INSTALL, now=wib(2026, 12, 2, 7, 30)).start == wib(2026, 12, 2, 9, 0)


def test_busy_intervals_push_the_slot_later() -> None:
    cal = calendar()
    now = wib(2026, 12, 1, 9, 0)
    first = earliest_slot(cal, duration=INSTALL, now=now)
    second = earliest_slot(cal, duration=INSTALL, now=now, busy=[(first.start, first.end)])
    assert second.start == wib(2026, 12, 2, 10, 30)  # 10:10 rounded up to the grid
    third = earliest_slot(
        cal, duration=INSTALL, now=now, busy=[(first.start, first.end), (second.start, second.end)]
    )
    assert third.start == wib(2026, 12, 2, 13, 0)  # 11:40 + 70 min would cross the break


def test_team_capacity_two_allows_two_overlapping_installations() -> None:
    cal = calendar(team_capacity=2)
    now = wib(2026, 12, 1, 9, 0)
    first = earliest_slot(cal, duration=INSTALL, now=now)
    second = earliest_slot(cal, duration=INSTALL, now=now, busy=[(first.start, first.end)])
    assert second == first
    both = [(first.start, first.end), (second.start, second.end)]
    third = earliest_slot(cal, duration=INSTALL, now=now, busy=both)
    assert third.start == wib(2026, 12, 2, 10, 30)
    assert check_slot(cal, first.start, duration=INSTALL, busy=[(first.start, first.end)]) == []
    assert check_slot(cal, first.start, duration=INSTALL, busy=both)


def test_capacity_counts_bookings_and_busy_together() -> None:
    booking = {"start": wib(2026, 12, 2, 7, 30), "end": wib(2026, 12, 2, 12, 0), "what": "Pelatihan"}
    cal = calendar(team_capacity=2, bookings=[booking])
    now = wib(2026, 12, 1, 9, 0)
    assert earliest_slot(cal, duration=INSTALL, now=now).start == wib(2026, 12, 2, 9, 0)
    busy = [(wib(2026, 12, 2, 9, 0), wib(2026, 12, 2, 11, 0))]
    assert earliest_slot(cal, duration=INSTALL, now=now, busy=busy).start == wib(2026, 12, 2, 13, 0)


def test_a_duration_longer_than_every_block_raises() -> None:
    with pytest.raises(SchedulingError, match=r"longest working block \(07:30-12:00\) is 270 min"):
        earliest_slot(calendar(), duration=dt.timedelta(hours=5), now=wib(2026, 12, 1))


def test_no_slot_within_a_year_raises() -> None:
    booking = {"start": wib(2026, 1, 1), "end": wib(2028, 1, 1), "what": "Moratorium pemasangan"}
    with pytest.raises(SchedulingError, match="within 366 days"):
        earliest_slot(calendar(bookings=[booking]), duration=INSTALL, now=wib(2026, 6, 1))


def test_no_working_hours_raises() -> None:
    closed: dict[str, list[str]] = {day: [] for day in WEEKDAYS}
    with pytest.raises(SchedulingError, match="no working hours"):
        earliest_slot(calendar(working_hours=closed), duration=INSTALL, now=wib(2026, 6, 1))


@pytest.mark.parametrize("bad", [dt.timedelta(0), -MIN])
def test_a_non_positive_duration_raises(bad: dt.timedelta) -> None:
    with pytest.raises(SchedulingError, match="positive"):
        earliest_slot(calendar(), duration=bad, now=wib(2026, 6, 1))
    with pytest.raises(SchedulingError, match="positive"):
        check_slot(calendar(), wib(2026, 6, 1, 9), duration=bad)


def test_naive_inputs_raise() -> None:
    with pytest.raises(SchedulingError, match=r"now .* needs a time zone"):
        earliest_slot(calendar(), duration=INSTALL, now=dt.datetime(2026, 12, 1, 9))
    naive_busy = [(dt.datetime(2026, 12, 2, 9), wib(2026, 12, 2, 10))]
    with pytest.raises(SchedulingError, match=r"busy\[0\] start .* needs a time zone"):
        earliest_slot(calendar(), duration=INSTALL, now=wib(2026, 12, 1, 9), busy=naive_busy)


def test_reversed_busy_interval_raises() -> None:
    with pytest.raises(SchedulingError, match=r"busy\[0\]: start .* must be before end"):
        earliest_slot(
            calendar(),
            duration=INSTALL,
            now=wib(2026, 12, 1),
            busy=[(wib(2026, 12, 2, 10), wib(2026, 12, 2, 9))],
        )


def test_scheduling_error_is_a_config_error() -> None:
    assert issubclass(SchedulingError, ConfigError)


# --------------------------------------------------------------------------- Slot


def test_slot_label_in_indonesian() -> None:
    slot = Slot(wib(2026, 12, 2, 9, 0), wib(2026, 12, 2, 10, 15))
    assert slot.label_id() == "Rabu, 2 Desember 2026 pukul 09.00\u201310.15 WIB"
    in_utc = Slot(
        dt.datetime(2027, 1, 3, 23, 30, tzinfo=dt.UTC), dt.datetime(2027, 1, 4, 1, 0, tzinfo=dt.UTC)
    )
    assert in_utc.label_id() == "Senin, 4 Januari 2027 pukul 06.30\u201308.00 WIB"


def test_slot_refuses_naive_or_reversed_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        Slot(dt.datetime(2026, 12, 2, 9), dt.datetime(2026, 12, 2, 10))
    with pytest.raises(ValueError, match="before it ends"):
        Slot(wib(2026, 12, 2, 10), wib(2026, 12, 2, 9))


# --------------------------------------------------------------------------- check_slot


def test_check_slot_accepts_a_good_start() -> None:
    assert check_slot(SHIPPED, wib(2026, 12, 2, 9, 10), duration=INSTALL) == []


def test_check_slot_naive_start() -> None:
    assert check_slot(SHIPPED, dt.datetime(2026, 12, 2, 9), duration=INSTALL) == [
        "start 2026-12-02T09:00:00 needs a time zone (e.g. +07:00 for WIB)"
    ]


def test_check_slot_outside_working_hours() -> None:
    early = check_slot(SHIPPED, wib(2026, 12, 2, 6, 0), duration=INSTALL)
    assert early == ["starts at 06:00, outside working hours (Wednesday: 07:30-12:00, 13:00-16:00)"]
    at_lunch = check_slot(SHIPPED, wib(2026, 12, 2, 12, 15), duration=INSTALL)
    assert at_lunch == ["starts at 12:15, outside working hours (Wednesday: 07:30-12:00, 13:00-16:00)"]
    late = check_slot(SHIPPED, wib(2026, 12, 2, 15, 30), duration=INSTALL)
    assert late == ["runs past the end of working hours at 16:00 (Wednesday: 07:30-12:00, 13:00-16:00)"]


def test_check_slot_converts_to_wib() -> None:
    # 02:00 UTC is 09:00 WIB: fine. 23:00 UTC on Tuesday is 06:00 WIB on Wednesday: too early.
    assert check_slot(SHIPPED, dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC), duration=INSTALL) == []
    problems = check_slot(SHIPPED, dt.datetime(2026, 12, 1, 23, 0, tzinfo=dt.UTC), duration=INSTALL)
    assert problems == ["starts at 06:00, outside working hours (Wednesday: 07:30-12:00, 13:00-16:00)"]


def test_check_slot_weekend() -> None:
    assert check_slot(SHIPPED, wib(2026, 12, 5, 9, 0), duration=INSTALL) == [
        "2026-12-05 is a Saturday, not a working day"
    ]


def test_check_slot_names_the_holiday() -> None:
    problems = check_slot(SHIPPED, wib(2026, 8, 17, 9, 0), duration=INSTALL)
    assert problems == [f"2026-08-17 is a holiday: {SHIPPED.holidays[dt.date(2026, 8, 17)]}"]


def test_check_slot_crosses_a_break() -> None:
    assert check_slot(SHIPPED, wib(2026, 12, 2, 11, 30), duration=INSTALL) == [
        "crosses the break 12:00-13:00 (Wednesday: 07:30-12:00, 13:00-16:00)"
    ]
    assert check_slot(SHIPPED, wib(2026, 12, 4, 11, 0), duration=INSTALL) == [
        "crosses the break 11:30-13:00 (Friday: 07:30-11:30, 13:00-16:30)"
    ]


def test_check_slot_names_the_booking() -> None:
    problems = check_slot(SHIPPED, wib(2026, 12, 3, 10, 0), duration=INSTALL)
    assert len(problems) == 1
    assert "Pemeliharaan terjadwal perangkat inti core-diskominfo" in problems[0]
    assert "2026-12-03 08:00-12:00 WIB" in problems[0]


def test_check_slot_names_another_installation() -> None:
    busy = [(wib(2026, 12, 2, 9, 0), wib(2026, 12, 2, 10, 10))]
    problems = check_slot(SHIPPED, wib(2026, 12, 2, 10, 0), duration=INSTALL, busy=busy)
    assert problems == [
        "overlaps another installation (2026-12-02 09:00-10:10 WIB) (team_capacity: 1 at a time)"
    ]


def test_check_slot_lists_every_problem() -> None:
    busy = [(wib(2026, 12, 3, 11, 0), wib(2026, 12, 3, 12, 0))]
    problems = check_slot(SHIPPED, wib(2026, 12, 3, 11, 30), duration=INSTALL, busy=busy)
    assert len(problems) == 3
    assert problems[0].startswith("crosses the break 12:00-13:00")
    assert "Pemeliharaan terjadwal" in problems[1]
    assert "another installation" in problems[2]


# --------------------------------------------------------------------------- invalid calendar files


def broken(tmp_path: Path, change: Callable[[Any], Any]) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(CALENDAR_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    edit_yaml(path, change)
    return path


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.__setitem__(key, value)


def _hours(day: str, blocks: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["working_hours"].__setitem__(day, blocks)


def _booking(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["bookings"][0].__setitem__(field, value)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (_hours("mon", ["7:30-12:00"]), "working_hours.mon.0", "is not a block of the form 'HH:MM-HH:MM'"),
        (_hours("mon", ["07:30-24:00"]), "working_hours.mon.0", "is not a block of the form"),
        (_hours("mon", ["07:30"]), "working_hours.mon.0", "is not a block of the form"),
        (_hours("mon", [450]), "working_hours.mon.0", "is not a block of the form"),
        (_hours("tue", ["12:00-07:30"]), "working_hours.tue.0", "must start before it ends"),
        (
            _hours("wed", ["07:30-12:00", "11:00-16:00"]),
            "working_hours.wed",
            "blocks 07:30-12:00 and 11:00-16:00",
        ),
        (_hours("thu", ["07:30-12:00", "12:00-16:00"]), "working_hours.thu", "overlap or touch"),
        (_hours("sen", ["07:30-12:00"]), "working_hours.sen", "Input should be 'mon'"),
        (_set("timezone", "WITA"), "timezone", "Input should be 'WIB'"),
        (_set("min_lead_hours", -1), "min_lead_hours", "greater than or equal to 0"),
        (_set("slot_step_min", 1), "slot_step_min", "greater than or equal to 5"),
        (_set("slot_step_min", 240), "slot_step_min", "less than or equal to 120"),
        (_set("team_capacity", 0), "team_capacity", "greater than or equal to 1"),
        (_set("team_capacity", "two"), "team_capacity", "valid integer"),
        (_set("holidays", {"2026-02-30": "Tanggal salah"}), "holidays.2026-02-30", "date"),
        (_set("holidays", {"2026-01-01": "Tahun\nBaru"}), "holidays.2026-01-01", "forbidden character"),
        (_booking("start", "2026-12-03T08:00:00"), "bookings.0.start", "timezone"),
        (_booking("end", "2026-12-03T07:00:00+07:00"), "bookings.0", "must be before end"),
        (_booking("room", "Ruang rapat"), "bookings.0.room", "Extra inputs are not permitted"),
        (_set("workinghours", {}), "workinghours", "Extra inputs are not permitted"),
    ],
)
def test_invalid_calendar_names_file_and_field(
    tmp_path: Path, change: Callable[[Any], Any], field: str, message: str
) -> None:
    path = broken(tmp_path, change)
    with pytest.raises(InventoryError) as info:
        load_calendar(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {field}")
    assert message in text
    assert "\n" not in text


def test_missing_required_key(tmp_path: Path) -> None:
    def drop(data: dict[str, Any]) -> None:
        del data["working_hours"]

    path = broken(tmp_path, drop)
    with pytest.raises(InventoryError, match=rf"^{re.escape(str(path))}: working_hours: Field required$"):
        load_calendar(path)


def test_yaml_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text('timezone: WIB\nworking_hours:\n  mon: ["07:30-12:00"\n', encoding="utf-8")
    with pytest.raises(InventoryError, match=rf"^{re.escape(str(path))}:\d+:\d+: YAML error"):
        load_calendar(path)


@pytest.mark.parametrize("text", ["", "- a list\n", "just text\n"])
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError, match=rf"^{re.escape(str(path))}: expected a mapping"):
        load_calendar(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="file not found"):
        load_calendar(tmp_path / "calendar.yaml")


def test_blocks_are_kept_in_order(tmp_path: Path) -> None:
    path = broken(tmp_path, _hours("mon", ["13:00-16:00", "07:30-12:00"]))
    assert [b.text() for b in load_calendar(path).working_hours["mon"]] == ["07:30-12:00", "13:00-16:00"]


# --------------------------------------------------------------------------- properties

AWARE_NOW = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),
    max_value=dt.datetime(2027, 12, 31, 23, 59),
    timezones=st.sampled_from([WIB, dt.UTC, dt.timezone(dt.timedelta(hours=9), "WIT")]),
)
DURATIONS = st.integers(min_value=15, max_value=240).map(lambda m: dt.timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(now=AWARE_NOW, duration=DURATIONS)
def test_earliest_slot_properties(now: dt.datetime, duration: dt.timedelta) -> None:
    cal = SHIPPED
    slot = earliest_slot(cal, duration=duration, now=now)
    earliest = now + dt.timedelta(hours=cal.min_lead_hours)
    local = slot.start.astimezone(WIB)
    assert slot.start >= earliest
    assert slot.end - slot.start == duration
    assert (
        local.hour * 60 + local.minute
    ) % cal.slot_step_min == 0 and local.second == local.microsecond == 0
    day = local.date()
    assert day not in cal.holidays
    blocks = cal.blocks(day)
    assert any(
        dt.datetime.combine(day, b.start, tzinfo=WIB) <= slot.start
        and slot.end <= dt.datetime.combine(day, b.end, tzinfo=WIB)
        for b in blocks
    )
    assert all(not (b.start < slot.end and slot.start < b.end) for b in cal.bookings)
    assert check_slot(cal, slot.start, duration=duration) == []
    assert earliest_slot(cal, duration=duration, now=now) == slot


@settings(max_examples=40, deadline=None)
@given(now=AWARE_NOW, duration=DURATIONS)
def test_earliest_slot_is_the_earliest(now: dt.datetime, duration: dt.timedelta) -> None:
    """Every grid start between the lead time and the slot has a problem (check_slot as the oracle)."""
    cal = SHIPPED
    slot = earliest_slot(cal, duration=duration, now=now)
    step = dt.timedelta(minutes=cal.slot_step_min)
    start = (now + dt.timedelta(hours=cal.min_lead_hours)).astimezone(WIB)
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    rest = (start - midnight) % step
    candidate = start if not rest else start + (step - rest)
    while candidate < slot.start:
        assert check_slot(cal, candidate, duration=duration), candidate
        candidate += step
    assert candidate == slot.start
