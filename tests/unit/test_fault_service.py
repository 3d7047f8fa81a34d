"""The monitor's decisions on the record: real correlate rounds over the shipped inventory's tree,
applied round by round into a real SQLite store (sipelangi_net/faults/service.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from inventory_edit import SHIPPED_INVENTORY
from ticket_data import request

from sipelangi_net.faults.correlate import CorrelationState, Observation, Round, Status, advance
from sipelangi_net.faults.models import FaultActor, FaultTicket, LinkRef
from sipelangi_net.faults.service import Applied, apply_decisions
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.faults.topology import DependencyTree, Target, build_dependencies
from sipelangi_net.inventory import load_inventory
from sipelangi_net.tickets.officials import Official, Officials
from sipelangi_net.tickets.sqlite import SqliteStore

INVENTORY = load_inventory(SHIPPED_INVENTORY)
TREE = build_dependencies(INVENTORY)
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
STEP = timedelta(seconds=10)
LINK = Target("link", "core-diskominfo:eth2--dist-gerunggang:eth0")
HOST = Target("host", "dinkes")
UPLINK = Target("uplink", "dinkes")
MONITOR = "nms-diskominfo"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    officials = Officials(helpdesk=Official(email="helpdesk@diskominfo.pangkalpinangkota.go.id"))
    s = SqliteStore(tmp_path / "t.db", officials=officials)
    yield s
    s.close()


def behind(tree: DependencyTree, target: Target) -> list[Target]:
    return [t for t in tree.nodes if t == target or target in tree.ancestors(t)]


def row(tree: DependencyTree, *targets: Target, status: Status = "down") -> dict[Target, Status]:
    out: dict[Target, Status] = dict.fromkeys(tree.nodes, "up")
    for target in targets:
        out.update(dict.fromkeys(behind(tree, target) if status == "down" else [target], status))
    return out


def drive(
    store: SqliteStore, rows: Sequence[Mapping[Target, Status]], tree: DependencyTree = TREE
) -> list[Applied]:
    """Each row one monitor round: correlate.advance, then apply_decisions into the store."""
    state, done = CorrelationState(), []
    for i, states in enumerate(rows):
        rnd = Round(T0 + i * STEP, tuple(Observation(t, s) for t, s in sorted(states.items())))
        result = advance(state, rnd, tree=tree)
        state = result.state
        done.append(apply_decisions(store.faults, result, tree=tree, monitor_name=MONITOR))
    return done


def only(store: SqliteStore) -> FaultTicket:
    (fault,) = store.faults.list()
    return fault


def test_a_host_down_opens_one_fault_and_its_recovery_closes_it_with_the_repair_time(
    store: SqliteStore,
) -> None:
    installed = store.create(request(), helpdesk="Helpdesk Rina")
    applied = drive(store, [row(TREE, HOST)] * 4 + [row(TREE)] * 3)
    assert [len(a.opened) for a in applied] == [0, 0, 1, 0, 0, 0, 0]
    fault = only(store)
    assert (fault.kind, fault.severity, fault.source, fault.device) == (
        "unreachable",
        "outage",
        "monitor",
        "sw-dinkes",
    )
    assert fault.opds == ("dinkes",) and fault.tickets == (installed.id,) and fault.link is None
    assert [e.step for e in fault.history] == ["reported", "verified", "closed"]
    assert {e.actor.role for e in fault.history} == {FaultRole.MONITOR}
    assert {e.actor.name for e in fault.history} == {MONITOR}
    assert fault.opened_at == T0 + 2 * STEP and fault.closed_at == T0 + 6 * STEP
    assert "waktu perbaikan 40 detik" in fault.history[-1].note
    kinds = [n.kind for n in store.outbox(fault_id=fault.id)]
    assert kinds == ["fault_opened", "fault_opened", "fault_closed", "fault_closed"]


def test_a_backbone_link_down_opens_one_fault_naming_the_opds_behind_it(store: SqliteStore) -> None:
    drive(store, [row(TREE, LINK)] * 5)
    fault = only(store)
    assert (fault.kind, fault.severity, fault.device) == ("link_down", "outage", "core-diskominfo")
    assert fault.link == LinkRef(a="core-diskominfo", b="dist-gerunggang")
    assert fault.opds == ("dinkes", "kec-gerunggang") and not fault.closed
    assert fault.records[0].kind == "observation" and fault.records[0].outputs["folded"]


def test_a_child_fault_is_folded_into_its_parents_and_closed_naming_it(store: SqliteStore) -> None:
    drive(store, [row(TREE, HOST)] * 3 + [row(TREE, LINK)] * 3)
    host, link = store.faults.list()
    assert host.closed and [e.step for e in host.history] == ["reported", "verified", "closed"]
    assert link.label in host.history[-1].note and not link.closed
    folded = [r for r in link.records if r.outputs.get("folded_from") == str(HOST)]
    assert len(folded) == 1 and folded[0].actor.name == MONITOR


def test_a_flapping_link_opens_one_fault_with_its_flaps_observed_and_closes_once_quiet(
    store: SqliteStore,
) -> None:
    flapping = [row(TREE, LINK) if i % 2 else row(TREE) for i in range(50)]
    drive(store, flapping + [row(TREE)] * 30)
    fault = only(store)
    flaps = [int(r.outputs["flaps"]) for r in fault.records if r.kind == "observation"]
    assert len(flaps) > 5 and flaps == sorted(flaps) and max(flaps) >= 20
    assert fault.closed and fault.step == "closed"


def test_a_degraded_uplink_is_a_degraded_fault(store: SqliteStore) -> None:
    drive(store, [row(TREE, UPLINK, status="degraded")] * 3)
    fault = only(store)
    assert (fault.kind, fault.severity, fault.device) == ("degraded", "degraded", "dist-gerunggang")
    assert fault.link == LinkRef(a="dist-gerunggang", b="sw-dinkes") and fault.opds == ("dinkes",)


def test_a_device_down_with_no_opd_behind_it_is_minor(store: SqliteStore) -> None:
    tree = build_dependencies(INVENTORY, opds=("dinkes",))
    drive(store, [row(tree, Target("device", "dist-tamansari"))] * 3, tree=tree)
    fault = only(store)
    assert (fault.kind, fault.severity, fault.opds, fault.device) == (
        "unreachable",
        "minor",
        (),
        "dist-tamansari",
    )


def test_a_fault_a_person_closed_while_the_target_is_still_down_is_opened_again(store: SqliteStore) -> None:
    monitor = FaultActor(role=FaultRole.MONITOR, name="x")
    state, rnd_at = CorrelationState(), T0
    for _ in range(3):
        rnd = Round(rnd_at, tuple(Observation(t, s) for t, s in sorted(row(TREE, HOST).items())))
        result = advance(state, rnd, tree=TREE)
        state, rnd_at = result.state, rnd_at + STEP
        apply_decisions(store.faults, result, tree=TREE, monitor_name=MONITOR)
    first = only(store)
    store.faults.move(first.id, "verified", actor=monitor, at=rnd_at)
    store.faults.move(first.id, "closed", actor=monitor, at=rnd_at)
    rnd = Round(rnd_at, tuple(Observation(t, s) for t, s in sorted(row(TREE, HOST).items())))
    applied = apply_decisions(store.faults, advance(state, rnd, tree=TREE), tree=TREE, monitor_name=MONITOR)
    assert [f.id for f in applied.opened] == [2]


def test_a_decision_the_record_refuses_is_reported_and_the_round_goes_on(store: SqliteStore) -> None:
    state, at = CorrelationState(), T0
    both = row(TREE, HOST, Target("host", "bappeda"))
    for states in [both] * 3 + [row(TREE)] * 2:
        result = advance(
            state, Round(at, tuple(Observation(t, s) for t, s in sorted(states.items()))), tree=TREE
        )
        state, at = result.state, at + STEP
        apply_decisions(store.faults, result, tree=TREE, monitor_name=MONITOR)
    first, second = store.faults.list()
    # a person records a step stamped after the monitor's recovery: the monitor's close is refused
    tim = FaultActor(role=FaultRole.TIM_KERJA, name="andi")
    store.faults.move(first.id, "verified", actor=tim, at=at + timedelta(minutes=1))
    result = advance(
        state, Round(at, tuple(Observation(t, s) for t, s in sorted(row(TREE).items()))), tree=TREE
    )
    applied = apply_decisions(store.faults, result, tree=TREE, monitor_name=MONITOR)
    assert len(applied.errors) == 1 and "before the last step" in applied.errors[0]
    assert [f.id for f in applied.closed] == [second.id]
