"""The fault SOP as data: six steps in order, who records each, and the moves between them."""

from __future__ import annotations

import itertools

import pytest

from sipelangi_net.faults.sop import (
    FIRST,
    LAST,
    MOVES,
    STEP_BY_KEY,
    STEP_KEYS,
    STEPS,
    FaultRole,
    move_problem,
)
from sipelangi_net.tickets.sop import Role


def test_six_steps_in_the_sop_order() -> None:
    assert STEP_KEYS == ("reported", "triaged", "diagnosed", "fixed", "verified", "closed")
    assert [s.number for s in STEPS] == list(range(1, len(STEPS) + 1))
    assert STEP_KEYS[0] == FIRST
    assert STEP_KEYS[-1] == LAST


def test_each_step_has_activity_output_and_roles() -> None:
    for s in STEPS:
        assert s.activity and s.output and s.title
        assert s.roles, s.key
        assert len(set(s.roles)) == len(s.roles)


def test_who_does_what() -> None:
    assert STEP_BY_KEY["triaged"].roles == (FaultRole.HELPDESK,)
    assert STEP_BY_KEY["diagnosed"].roles == STEP_BY_KEY["fixed"].roles == (FaultRole.TIM_KERJA,)
    assert STEP_BY_KEY["reported"].roles[0] is FaultRole.MONITOR
    assert FaultRole.PEMOHON in STEP_BY_KEY["reported"].roles
    assert FaultRole.MONITOR in STEP_BY_KEY["verified"].roles
    assert FaultRole.HELPDESK in STEP_BY_KEY["closed"].roles


def test_people_roles_are_the_installation_sops() -> None:
    people = {r.value for r in FaultRole} - {FaultRole.MONITOR.value}
    assert people <= {r.value for r in Role}


def test_moves_cover_every_step_and_lead_only_to_steps() -> None:
    assert set(MOVES) == set(STEP_KEYS)
    for targets in MOVES.values():
        assert set(targets) <= set(STEP_KEYS)
        assert FIRST not in targets


def test_main_line_is_the_first_move_of_each_step() -> None:
    for here, there in itertools.pairwise(STEP_KEYS):
        assert MOVES[here][0] == there


def test_closed_takes_nothing_and_every_open_step_can_reach_it() -> None:
    assert MOVES[LAST] == ()
    for start in STEP_KEYS:
        seen, todo = {start}, [start]
        while todo:
            for nxt in MOVES[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert LAST in seen, start


def test_only_verified_leads_to_closed() -> None:
    assert [k for k, targets in MOVES.items() if LAST in targets] == ["verified"]


@pytest.mark.parametrize(
    ("last", "key", "role", "words"),
    [
        (None, "triaged", FaultRole.HELPDESK, "starts with fault step 1"),
        ("closed", "diagnosed", FaultRole.TIM_KERJA, "the fault is closed"),
        ("reported", "fixed", FaultRole.TIM_KERJA, "allowed next: triaged, verified"),
        ("reported", "triaged", FaultRole.PEMOHON, "recorded by Helpdesk, not Pemohon"),
        ("triaged", "diagnosed", FaultRole.MONITOR, "not Monitor"),
    ],
)
def test_refused_moves_say_why(last: str | None, key: str, role: FaultRole, words: str) -> None:
    problem = move_problem(last, key, role)  # type: ignore[arg-type]
    assert problem is not None and words in problem


@pytest.mark.parametrize(
    ("last", "key", "role"),
    [
        (None, "reported", FaultRole.MONITOR),
        (None, "reported", FaultRole.PEMOHON),
        ("reported", "verified", FaultRole.MONITOR),
        ("fixed", "diagnosed", FaultRole.TIM_KERJA),
        ("verified", "closed", FaultRole.MONITOR),
    ],
)
def test_allowed_moves(last: str | None, key: str, role: FaultRole) -> None:
    assert move_problem(last, key, role) is None  # type: ignore[arg-type]
