"""The fault workflow (pure): opening, moving, refusals, time to repair and each step against its standard."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sipelangi_net.errors import WorkflowError
from sipelangi_net.faults.models import FaultActor, FaultTicket, LinkRef, fault_label, label_number
from sipelangi_net.faults.sop import LAST, STEP_BY_KEY, STEP_KEYS, FaultRole, StepKey
from sipelangi_net.faults.standards import DEFAULTS, FaultStandards, StepStandards
from sipelangi_net.faults.workflow import (
    late,
    move,
    next_steps,
    open_fault,
    step_times,
    time_to_repair,
)

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
MONITOR = FaultActor(role=FaultRole.MONITOR, name="monitor-1")
HELPDESK = FaultActor(role=FaultRole.HELPDESK, name="helpdesk-ani")
TIM = FaultActor(role=FaultRole.TIM_KERJA, name="tim-budi")
PEMOHON = FaultActor(role=FaultRole.PEMOHON, name="dinkes-pic")
BY_ROLE = {a.role: a for a in (MONITOR, HELPDESK, TIM, PEMOHON)}


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def a_fault(
    *, severity: str = "outage", reported_after: float = 1, actor: FaultActor = MONITOR
) -> FaultTicket:
    return open_fault(
        number=42,
        kind="link_down",
        source="monitor",
        severity=severity,  # type: ignore[arg-type]
        device="dist-tamansari",
        link=LinkRef(a="core-diskominfo", b="dist-tamansari"),
        opds=("dinkes", "bappeda"),
        tickets=("SPL-2026-00001", "SPL-2026-00007"),
        summary="core-diskominfo eth1 - dist-tamansari eth0 down",
        opened_at=T0,
        reported_at=T0 + minutes(reported_after),
        actor=actor,
    )


def walk(fault: FaultTicket, *steps: tuple[StepKey, float, FaultActor]) -> FaultTicket:
    for key, at, actor in steps:
        fault = move(fault, key, at=T0 + minutes(at), actor=actor)
    return fault


MAIN_LINE: tuple[tuple[StepKey, float, FaultActor], ...] = (
    ("triaged", 6, HELPDESK),
    ("diagnosed", 30, TIM),
    ("fixed", 100, TIM),
    ("verified", 110, MONITOR),
    ("closed", 112, HELPDESK),
)


def test_a_new_fault_is_reported_and_labelled() -> None:
    fault = a_fault()
    assert fault.label == "GGN-00042" == fault_label(42)
    assert label_number("GGN-00042") == 42
    assert fault.step == "reported" and not fault.closed and fault.closed_at is None
    assert next_steps(fault) == ("triaged", "verified")
    assert time_to_repair(fault) is None


def test_the_main_line_to_closed_and_the_time_to_repair() -> None:
    fault = walk(a_fault(), *MAIN_LINE)
    assert [e.step for e in fault.history] == list(STEP_KEYS)
    assert fault.closed and fault.closed_at == T0 + minutes(112)
    assert time_to_repair(fault) == minutes(112)
    assert next_steps(fault) == ()
    assert fault.to_json()["id"] == "GGN-00042" and fault.to_json()["step"] == LAST


def test_each_step_is_timed_from_the_one_before_against_its_severitys_standard() -> None:
    fault = walk(a_fault(), *MAIN_LINE)
    times = step_times(fault, DEFAULTS)
    assert [t.step for t in times] == list(STEP_KEYS)
    ends = [T0 + minutes(1), *(T0 + minutes(at) for _, at, _ in MAIN_LINE)]
    starts = [T0, *ends[:-1]]
    for t, start, end in zip(times, starts, ends, strict=True):
        assert (t.started, t.ended) == (start, end)
        assert t.elapsed_s == (end - start).total_seconds()
        assert t.standard_s == DEFAULTS.seconds("outage", t.step)
        assert t.late == (t.elapsed_s > t.standard_s)
    assert late(times) == ()  # e.g. diagnosed took 24 min of 30, fixed 70 of 120
    slow = walk(a_fault(), *MAIN_LINE[:2], ("fixed", 151, TIM))
    assert [t.step for t in late(step_times(slow, DEFAULTS))] == ["fixed"]  # 121 min of 120
    assert sum(t.elapsed_s for t in times) == time_to_repair(fault).total_seconds()  # type: ignore[union-attr]


def test_late_is_strictly_over_the_standard() -> None:
    standard = DEFAULTS.minutes("outage", "reported")
    on_time = step_times(a_fault(reported_after=standard), DEFAULTS)
    over = step_times(a_fault(reported_after=standard + 1 / 60), DEFAULTS)
    assert not on_time[0].late and late(on_time) == ()
    assert over[0].late and late(over) == (over[0],)


def test_the_severity_chooses_the_standard() -> None:
    tight = StepStandards(reported=1, triaged=1, diagnosed=1, fixed=1, verified=1, closed=1)
    standards = FaultStandards(outage=tight)
    assert step_times(a_fault(severity="outage", reported_after=2), standards)[0].late
    assert not step_times(a_fault(severity="degraded", reported_after=2), standards)[0].late


def test_the_step_under_way_is_timed_with_now() -> None:
    fault = walk(a_fault(), ("triaged", 6, HELPDESK))
    standard = DEFAULTS.minutes("outage", "diagnosed")
    times = step_times(fault, DEFAULTS, now=T0 + minutes(6 + standard + 1))
    pending = times[-1]
    assert (pending.step, pending.ended, pending.started) == ("diagnosed", None, T0 + minutes(6))
    assert pending.late and late(times) == (pending,)
    assert pending.to_json()["ended"] is None
    assert not step_times(fault, DEFAULTS, now=T0 + minutes(7))[-1].late
    closed = walk(fault, *MAIN_LINE[1:])
    assert step_times(closed, DEFAULTS, now=T0 + minutes(999)) == step_times(closed, DEFAULTS)


def test_a_link_that_came_back_by_itself_is_verified_and_closed_by_the_monitor() -> None:
    fault = walk(a_fault(), ("verified", 3, MONITOR), ("closed", 3, MONITOR))
    assert [e.step for e in fault.history] == ["reported", "verified", "closed"]
    assert time_to_repair(fault) == minutes(3)


def test_a_fix_that_did_not_hold_goes_back_to_diagnosis() -> None:
    fault = walk(
        a_fault(),
        *MAIN_LINE[:3],
        ("diagnosed", 120, TIM),
        ("fixed", 150, TIM),
        ("verified", 155, TIM),
        ("closed", 160, HELPDESK),
    )
    assert [e.step for e in fault.history].count("diagnosed") == 2
    assert time_to_repair(fault) == minutes(160)


def test_a_pemohon_reports_through_the_same_record() -> None:
    fault = a_fault(actor=PEMOHON)
    assert fault.history[0].actor.role is FaultRole.PEMOHON


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        ((("fixed", 5, TIM),), "cannot follow fault step 1"),
        ((("triaged", 5, PEMOHON),), "recorded by Helpdesk, not Pemohon"),
        ((("triaged", 5, HELPDESK), ("closed", 6, HELPDESK)), "allowed next: diagnosed, verified"),
        ((("triaged", 0.5, HELPDESK),), "is before the last step"),
        ((*MAIN_LINE, ("diagnosed", 200, TIM)), "the fault is closed"),
    ],
)
def test_refused_moves_name_the_fault_and_the_step(
    steps: tuple[tuple[StepKey, float, FaultActor], ...], words: str
) -> None:
    with pytest.raises(WorkflowError, match="GGN-00042") as exc:
        walk(a_fault(), *steps)
    assert words in str(exc.value)


def test_a_step_in_the_future_is_refused() -> None:
    with pytest.raises(WorkflowError, match="in the future"):
        move(a_fault(), "triaged", at=T0 + minutes(60), actor=HELPDESK, now=T0 + minutes(10))
    assert move(a_fault(), "triaged", at=T0 + minutes(14), actor=HELPDESK, now=T0 + minutes(10))


def test_a_time_without_its_zone_is_refused() -> None:
    naive = dt.datetime(2026, 12, 1, 8, 30)
    with pytest.raises(WorkflowError, match="needs its time zone"):
        move(a_fault(), "triaged", at=naive, actor=HELPDESK)
    with pytest.raises(WorkflowError, match="needs its time zone"):
        move(a_fault(), "triaged", at=T0 + minutes(5), actor=HELPDESK, now=naive)


def test_a_bad_note_is_refused_as_a_workflow_error() -> None:
    with pytest.raises(WorkflowError, match=r"GGN-00042: fault step 2 .*note"):
        move(a_fault(), "triaged", at=T0 + minutes(5), actor=HELPDESK, note="a\nb")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tickets": ("SPL-26-1",)}, "tickets.0"),
        ({"opds": ("dinkes", "dinkes")}, "opds and tickets name each one once"),
        ({"device": "Dist Tamansari"}, "device"),
        ({"kind": "on_fire"}, "kind"),
        ({"opened_at": dt.datetime(2026, 12, 1, 8, 0)}, "opened_at"),  # naive: refused
        ({"reported_at": T0 - minutes(1)}, "history.0.at"),
    ],
)
def test_open_refuses_bad_fields_naming_them(change: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "number": 9,
        "kind": "degraded",
        "source": "monitor",
        "severity": "degraded",
        "device": "dist-tamansari",
        "summary": "below plan",
        "opened_at": T0,
        "reported_at": T0,
        "actor": MONITOR,
        **change,
    }
    with pytest.raises(WorkflowError, match="GGN-00009: cannot open") as exc:
        open_fault(**args)  # type: ignore[arg-type]
    assert field in str(exc.value)


def test_a_stored_history_that_breaks_the_sop_does_not_read_back() -> None:
    data = walk(a_fault(), *MAIN_LINE).model_dump(mode="json")
    assert FaultTicket.model_validate(data) == walk(a_fault(), *MAIN_LINE)
    skipped = {**data, "history": [data["history"][0], data["history"][3]]}
    with pytest.raises(ValidationError, match=r"history\.1: fault step 4"):
        FaultTicket.model_validate(skipped)
    with pytest.raises(ValidationError, match="history"):
        FaultTicket.model_validate({**data, "history": []})
    backwards = [*data["history"][:2], {**data["history"][2], "at": data["history"][0]["at"]}]
    with pytest.raises(ValidationError, match=r"history\.2\.at"):
        FaultTicket.model_validate({**data, "history": backwards})


def test_labels_and_links_are_checked() -> None:
    for bad in ("GGN-42", "ggn-00042", "SPL-2026-00001", "GGN-00042\n"):
        with pytest.raises(ValueError, match="not a fault label"):
            label_number(bad)
    with pytest.raises(ValidationError, match="a before b"):
        LinkRef(a="dist-tamansari", b="core-diskominfo")
    with pytest.raises(ValidationError, match="a before b"):
        LinkRef(a="core-diskominfo", b="core-diskominfo")


MOVE = st.tuples(st.sampled_from(STEP_KEYS), st.sampled_from([*FaultRole, None]), st.integers(-5, 600))
"""A step, who records it (None: the role the SOP names for it, so that moves go through often) and
the minutes after the last step (negative: refused)."""


@settings(max_examples=300, deadline=None)
@given(st.lists(MOVE, max_size=25), st.integers(0, 30))
def test_no_move_sequence_goes_past_closed_and_time_to_repair_is_closed_minus_opened(
    moves: list[tuple[StepKey, FaultRole | None, int]], reported_after: int
) -> None:
    fault = a_fault(reported_after=reported_after)
    clock = fault.history[-1].at
    for key, role, delta in moves:
        at = clock + dt.timedelta(minutes=delta)
        was_closed = fault.closed
        try:
            actor = BY_ROLE[role or STEP_BY_KEY[key].roles[0]]
            fault = move(fault, key, at=at, actor=actor)
        except WorkflowError:
            continue
        assert not was_closed, "a closed fault took another step"
        assert key in STEP_KEYS and at >= clock
        clock = at
    steps = [e.step for e in fault.history]
    assert steps[0] == "reported"
    assert LAST not in steps[:-1], "closed is only ever the last step"
    stamps = [e.at for e in fault.history]
    assert stamps == sorted(stamps) and stamps[0] >= fault.opened_at
    times = step_times(fault, DEFAULTS)
    assert sum(t.elapsed_s for t in times) == (stamps[-1] - fault.opened_at).total_seconds()
    if fault.closed:
        assert time_to_repair(fault) == fault.history[-1].at - fault.opened_at
        with pytest.raises(WorkflowError, match="the fault is closed"):
            move(fault, "verified", at=clock, actor=MONITOR)
    else:
        assert time_to_repair(fault) is None
    assert FaultTicket.model_validate(fault.model_dump(mode="json")) == fault


def test_the_helpdesk_grades_the_severity_at_triage_and_the_note_keeps_the_change() -> None:
    fault = a_fault()
    assert fault.severity == "outage"
    graded = move(
        fault, "triaged", at=T0 + minutes(5), actor=HELPDESK, note="Ke Tim Kerja.", severity="minor"
    )
    assert graded.severity == "minor"
    assert graded.history[-1].note == "Tingkat gangguan: ringan (semula putus). Ke Tim Kerja."
    kept = move(fault, "triaged", at=T0 + minutes(5), actor=HELPDESK, severity="outage")
    assert kept.severity == "outage" and kept.history[-1].note == "Tingkat gangguan: putus"
    with pytest.raises(WorkflowError, match="GGN-00042: the severity is set when the fault is triaged"):
        move(graded, "diagnosed", at=T0 + minutes(9), actor=TIM, severity="outage")
