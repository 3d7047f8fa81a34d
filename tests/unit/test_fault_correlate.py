"""From rounds of observations to fault decisions (sipelangi_net/faults/correlate.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inventory_edit import SHIPPED_INVENTORY

from sipelangi_net.faults.correlate import (
    CorrelationConfig,
    CorrelationState,
    Decision,
    Observation,
    Round,
    Status,
    advance,
    flap_percent,
    run,
)
from sipelangi_net.faults.topology import DependencyTree, Target, build_dependencies
from sipelangi_net.inventory import load_inventory

TREE = build_dependencies(load_inventory(SHIPPED_INVENTORY))
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
STEP = timedelta(seconds=10)
DIST = Target("device", "dist-gerunggang")
LINK = Target("link", "core-diskominfo:eth2--dist-gerunggang:eth0")
HOST = Target("host", "dinkes")
UPLINK = Target("uplink", "dinkes")


def rounds(*states: Mapping[Target, Status], start: int = 0) -> list[Round]:
    return [
        Round(T0 + (start + i) * STEP, tuple(Observation(t, s) for t, s in sorted(row.items())))
        for i, row in enumerate(states)
    ]


def behind(target: Target) -> list[Target]:
    """``target`` and every target below it in the tree."""
    return [t for t in TREE.nodes if t == target or target in TREE.ancestors(t)]


def all_up() -> dict[Target, Status]:
    return dict.fromkeys(TREE.nodes, "up")


def down(*targets: Target) -> dict[Target, Status]:
    row = all_up()
    for target in targets:
        row.update(dict.fromkeys(behind(target), "down"))
    return row


def actions(decisions: Iterable[Decision]) -> list[tuple[str, str, str]]:
    return [(d.action, str(d.fault.target), d.fault.kind) for d in decisions if d.action != "still_open"]


def test_a_target_down_fewer_rounds_than_the_hold_down_opens_nothing() -> None:
    _, decisions = run(rounds(down(HOST), down(HOST), all_up(), down(HOST), all_up()), tree=TREE)
    assert decisions == ()


def test_down_for_the_hold_down_opens_and_up_for_the_recovery_closes_with_the_repair_time() -> None:
    _, decisions = run(rounds(*[down(HOST)] * 3, *[all_up()] * 3), tree=TREE)
    assert actions(decisions) == [("open", "host:dinkes", "down"), ("close", "host:dinkes", "down")]
    opened, close = decisions[0], decisions[-1]
    assert opened.at == T0 + 2 * STEP
    assert opened.fault.opds == ("dinkes",)
    assert close.repair_seconds == (5 * STEP - 2 * STEP).total_seconds()


def test_the_hold_down_can_be_a_time_instead_of_rounds() -> None:
    config = CorrelationConfig(down_rounds=100, up_rounds=100, down_seconds=25, up_seconds=25)
    _, decisions = run(rounds(*[down(HOST)] * 4, *[all_up()] * 4), tree=TREE, config=config)
    assert [(d.action, d.at) for d in decisions if d.action != "still_open"] == [
        ("open", T0 + 3 * STEP),
        ("close", T0 + 7 * STEP),
    ]


def test_a_flapping_link_opens_one_fault_counts_its_flaps_and_closes_once_quiet() -> None:
    flapping = [down(LINK) if i % 2 else all_up() for i in range(50)]
    state, decisions = run(rounds(*flapping), tree=TREE)
    assert actions(decisions) == [("open", str(LINK), "down")]
    fault = state.faults[(LINK, "down")]
    assert fault.flapping
    assert fault.flaps >= 20
    assert fault.opds == ("dinkes", "kec-gerunggang")
    quiet = rounds(*[all_up()] * 30, start=50)
    _, after = run([*rounds(*flapping), *quiet], tree=TREE)
    assert actions(after) == [("open", str(LINK), "down"), ("close", str(LINK), "down")]


def test_a_distribution_router_down_opens_one_fault_naming_the_opds_behind_it() -> None:
    state, decisions = run(rounds(*[down(DIST)] * 5), tree=TREE)
    assert actions(decisions) == [("open", str(DIST), "down")]
    fault = state.faults[(DIST, "down")]
    assert fault.opds == ("dinkes", "kec-gerunggang")
    assert set(fault.folded) == set(behind(DIST)) - {DIST}
    assert len(state.faults) == 1


def test_a_backbone_link_down_takes_the_router_behind_it() -> None:
    state, decisions = run(rounds(*[down(LINK)] * 3), tree=TREE)
    assert actions(decisions) == [("open", str(LINK), "down")]
    assert DIST in state.faults[(LINK, "down")].folded


def test_an_opd_already_open_is_folded_into_its_router_when_the_router_goes_down() -> None:
    _, decisions = run(rounds(*[down(HOST)] * 3, *[down(DIST)] * 3), tree=TREE)
    assert actions(decisions) == [
        ("open", "host:dinkes", "down"),
        ("fold", "host:dinkes", "down"),
        ("open", str(DIST), "down"),
    ]
    fold = next(d for d in decisions if d.action == "fold")
    assert fold.into == (DIST, "down")


def test_when_the_router_recovers_an_opd_still_down_gets_its_own_fault() -> None:
    _, decisions = run(rounds(*[down(DIST)] * 3, *[down(HOST)] * 3), tree=TREE)
    assert actions(decisions) == [
        ("open", str(DIST), "down"),
        ("close", str(DIST), "down"),
        ("open", "host:dinkes", "down"),
    ]


def test_degraded_is_its_own_kind_and_not_hidden_by_a_healthy_parent() -> None:
    row = all_up() | {HOST: "degraded"}
    state, decisions = run(rounds(*[row] * 3), tree=TREE)
    assert actions(decisions) == [("open", "host:dinkes", "degraded")]
    assert state.faults[(HOST, "degraded")].opds == ("dinkes",)


def test_a_degraded_uplink_takes_the_degraded_host_behind_it() -> None:
    row = all_up() | {HOST: "degraded", UPLINK: "degraded"}
    state, decisions = run(rounds(*[row] * 3), tree=TREE)
    assert actions(decisions) == [("open", "uplink:dinkes", "degraded")]
    assert state.faults[(UPLINK, "degraded")].folded == (HOST,)


def test_a_round_older_than_the_last_and_an_unknown_target_are_refused() -> None:
    state = advance(CorrelationState(), rounds(all_up(), start=5)[0], tree=TREE).state
    with pytest.raises(ValueError, match="older than the last one"):
        advance(state, rounds(all_up())[0], tree=TREE)
    with pytest.raises(ValueError, match="device:ghost"):
        advance(state, Round(T0 + 9 * STEP, (Observation(Target("device", "ghost"), "down"),)), tree=TREE)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="down_rounds"):
        CorrelationConfig(down_rounds=0)
    with pytest.raises(ValueError, match="flap thresholds"):
        CorrelationConfig(flap_low=30, flap_high=20)


def test_flap_percent_weighs_later_changes_more_as_nagios_does() -> None:
    assert flap_percent((False,) * 21) == 0
    assert flap_percent((False, True) * 10 + (False,)) == pytest.approx(100)
    early = (True, *([False] * 20))
    late = (*([False] * 20), True)
    assert flap_percent(early) == pytest.approx(100 * 0.8 / 20)
    assert flap_percent(late) == pytest.approx(100 * 1.2 / 20)


# Properties over random sequences of rounds on the shipped tree.

TARGETS = sorted(TREE.nodes)
STATUS = st.sampled_from(["up", "up", "down", "degraded"])
ROWS = st.lists(st.dictionaries(st.sampled_from(TARGETS), STATUS, max_size=8), min_size=1, max_size=40)
CONFIGS = st.builds(
    CorrelationConfig,
    down_rounds=st.integers(1, 4),
    up_rounds=st.integers(1, 4),
    flap_history=st.integers(3, 21),
)


def check_round(tree: DependencyTree, state: CorrelationState, decisions: tuple[Decision, ...]) -> None:
    opened = Counter((d.fault.target, d.fault.kind) for d in decisions if d.action == "open")
    assert all(n == 1 for n in opened.values())
    for target, kind in state.faults:
        above = tree.ancestors(target)
        assert not any((a, "down") in state.faults for a in above), f"{target} open under a down parent"
        if kind == "degraded":
            assert not any((a, "degraded") in state.faults for a in above)
        assert state.faults[(target, kind)].opds == tree.opds_behind(target)


@settings(max_examples=150, deadline=None)
@given(rows=ROWS, config=CONFIGS)
def test_one_open_fault_per_target_and_none_under_an_open_parent(
    rows: list[dict[Target, Status]], config: CorrelationConfig
) -> None:
    state = CorrelationState()
    is_open: set[tuple[Target, str]] = set()
    for rnd in rounds(*rows):
        result = advance(state, rnd, tree=TREE, config=config)
        for d in result.decisions:
            key = (d.fault.target, d.fault.kind)
            if d.action == "open":
                assert key not in is_open
                is_open.add(key)
            elif d.action in ("close", "fold"):
                is_open.discard(key)
        check_round(TREE, result.state, result.decisions)
        assert is_open == set(result.state.faults)
        state = result.state


@settings(max_examples=200, deadline=None)
@given(states=st.lists(st.booleans(), min_size=1, max_size=80), config=CONFIGS)
def test_a_target_opens_again_only_after_a_quiet_spell(states: list[bool], config: CorrelationConfig) -> None:
    """However it flaps, a link opens at most one fault per run of ``up_rounds`` good rounds."""
    rows = [down(LINK) if bad else all_up() for bad in states]
    _, decisions = run(rounds(*rows), tree=TREE, config=config)
    opens = sum(1 for d in decisions if d.action == "open")
    quiet_spells, run_length = 0, 0
    for bad in states:
        run_length = 0 if bad else run_length + 1
        quiet_spells += run_length == config.up_rounds
    assert opens <= 1 + quiet_spells
    assert all(d.fault.target == LINK for d in decisions)


def test_a_degraded_target_that_goes_down_is_one_down_fault() -> None:
    degraded = all_up() | {HOST: "degraded"}
    state, decisions = run(rounds(*[degraded] * 3, *[down(HOST)] * 3), tree=TREE)
    assert actions(decisions) == [
        ("open", "host:dinkes", "degraded"),
        ("fold", "host:dinkes", "degraded"),
        ("open", "host:dinkes", "down"),
    ]
    assert list(state.faults) == [(HOST, "down")]
    assert next(d.into for d in decisions if d.action == "fold") == (HOST, "down")


@settings(max_examples=100, deadline=None)
@given(target=st.sampled_from(TARGETS), extra=st.integers(0, 10), config=CONFIGS)
def test_anything_going_down_with_all_behind_it_opens_one_fault_for_it(
    target: Target, extra: int, config: CorrelationConfig
) -> None:
    state, decisions = run(rounds(*[down(target)] * (config.down_rounds + extra)), tree=TREE, config=config)
    assert actions(decisions) == [("open", str(target), "down")]
    assert list(state.faults) == [(target, "down")]
    assert state.faults[(target, "down")].opds == TREE.opds_behind(target)
