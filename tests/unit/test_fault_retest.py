"""``fault retest`` (faults/retest.py): each OPD of a fault measured against its installation plan
with the step-8 runners and verdict (iperf3 outputs recorded on the lab, replayed), a real
SQLite ticket store for the plans."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inventory_edit import SHIPPED_INVENTORY
from test_bandwidth import FakeOpdSide, ok_side
from ticket_data import request, valid

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.bandwidth.gate import measure
from sipelangi_net.bandwidth.run import BwRun, Settings
from sipelangi_net.compliance.intended import Provisioned
from sipelangi_net.environment import OpdSide
from sipelangi_net.errors import IncompleteTicketError, LabError
from sipelangi_net.faults.models import FaultActor, FaultTicket
from sipelangi_net.faults.retest import gateways, opd_plans, retest
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.faults.workflow import open_fault
from sipelangi_net.inventory import Inventory, load_inventory
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
MONITOR = FaultActor(role=FaultRole.MONITOR, name="monitor-1")
TIM = FaultActor(role=FaultRole.TIM_KERJA, name="tim-budi")
NO_SPEEDTEST = Settings(speedtest=False, backoff_s=0)


class Replayed:
    """An environment whose OPD side answers with iperf3 outputs recorded on the lab."""

    name = "replay"

    def __init__(self, side: FakeOpdSide) -> None:
        self.side = side

    def opd_side(self, plan: Any, inventory: Any) -> OpdSide:
        return OpdSide("pc-" + plan.site, self.side, contextlib.nullcontext())

    def post_check(self, plan: Any, inventory: Any, factory: Any) -> Any:
        raise AssertionError("a re-test pushes nothing")

    def diskominfo_side(self, inventory: Any) -> Any:
        raise AssertionError("a re-test pings nothing")


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(SHIPPED_INVENTORY)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "tickets.db", webhook_url="")
    yield s
    s.close()


def installed(store: SqliteStore, **changes: Any) -> str:
    tid = store.create(request(**changes), helpdesk="Helpdesk").id
    store.apply(tid, Move(step=3, actor="Kepala Dinas", outcome="approve"))
    for step in (4, 5, 6, 7):
        store.apply(tid, valid(Move(step=step, actor="Andi"), tid))
    return tid


def a_fault(opds: tuple[str, ...] = ("dinkes",), tickets: tuple[str, ...] = ()) -> FaultTicket:
    return open_fault(
        number=9,
        kind="degraded",
        source="monitor",
        severity="degraded",
        device="dist-gerunggang",
        opds=opds,
        tickets=tickets,
        summary="dinkes below its plan",
        opened_at=T0,
        reported_at=T0,
        actor=MONITOR,
    )


def measuring(inventory: Inventory, side: FakeOpdSide) -> Any:
    def run(plan: Plan) -> BwRun:
        return measure(plan, inventory, Replayed(side), NO_SPEEDTEST)

    return run


def test_the_plan_of_each_opd_comes_from_its_installed_ticket(store: SqliteStore) -> None:
    tid = installed(store)
    waiting = store.create(request(), helpdesk="Helpdesk").id  # not installed: no plan used
    plans = opd_plans(a_fault(), store.tickets())
    assert list(plans) == ["dinkes"] and plans["dinkes"].ticket_id == tid != waiting
    addressing = plans["dinkes"].plan.addressing
    assert addressing is not None
    assert gateways(plans) == {"dinkes": str(addressing.gateway.ip)}
    assert opd_plans(a_fault(tickets=("SPL-2026-09999",)), store.tickets()) == {}


def test_a_recovered_link_passes_the_retest_against_the_plan(
    store: SqliteStore, inventory: Inventory
) -> None:
    installed(store)
    plans = opd_plans(a_fault(), store.tickets())
    target = plans["dinkes"].plan.bandwidth
    got = retest(a_fault(), plans, measuring(inventory, ok_side()), environment="replay", now=lambda: T0)
    assert (got.passed, [o.ticket_id for o in got.opds]) == (True, [plans["dinkes"].ticket_id]), got.summary
    result = got.opds[0].result
    assert result is not None and result.target_down_mbps == target.down_mbit
    record = got.record(TIM)
    assert record.kind == "retest" and record.summary.startswith(
        "GGN-00009: re-test passed (dinkes: download"
    )
    assert record.outputs["passed"] is True and record.outputs["opds"][0]["bwtest"]["verdict"] == "pass"


def test_a_link_still_below_its_plan_fails(store: SqliteStore, inventory: Inventory) -> None:
    installed(store)
    plans = opd_plans(a_fault(), store.tickets())
    above = {
        k: Provisioned(v.ticket_id, _scaled(v.plan, 100)) for k, v in plans.items()
    }  # ~1 Gbit/s measured
    got = retest(a_fault(), above, measuring(inventory, ok_side()), environment="replay", now=lambda: T0)
    assert not got.passed
    assert got.summary.startswith("GGN-00009: re-test failed (dinkes: download")


def _scaled(plan: Plan, factor: float) -> Plan:
    bw = plan.bandwidth.model_copy(
        update={
            "down_mbit": int(plan.bandwidth.down_mbit * factor),
            "up_mbit": int(plan.bandwidth.up_mbit * factor),
        }
    )
    return plan.model_copy(update={"bandwidth": bw})


def test_an_opd_without_a_plan_or_a_test_not_made_fails_and_the_others_are_measured(
    store: SqliteStore, inventory: Inventory
) -> None:
    installed(store)
    plans = opd_plans(a_fault(("dinkes", "bappeda")), store.tickets())
    got = retest(
        a_fault(("dinkes", "bappeda")),
        plans,
        measuring(inventory, ok_side()),
        environment="replay",
        now=lambda: T0,
    )
    assert [(o.opd, o.passed) for o in got.opds] == [("dinkes", True), ("bappeda", False)]
    assert "bappeda: no provisioned installation ticket with a plan for bappeda" in got.summary
    many = a_fault(("dinkes", "bappeda", "disdukcapil", "kec-gerunggang"))
    got = retest(many, plans, measuring(inventory, ok_side()), environment="replay", now=lambda: T0)
    record = got.record(TIM)  # one short line; the whole result in the outputs
    assert len(got.summary) > 200 and len(record.summary) == 200 and record.summary.endswith("...")
    assert record.outputs["summary"] == got.summary

    def no_host(plan: Plan) -> BwRun:
        raise LabError(f"ticket {plan.ticket_id}: the lab has no OPD host for site 'dinkes'")

    got = retest(a_fault(), plans, no_host, environment="lab", now=lambda: T0)
    assert not got.passed and "dinkes: test not made: ticket SPL-" in got.summary


def test_a_fault_naming_no_opd_is_not_retested() -> None:
    with pytest.raises(IncompleteTicketError, match="GGN-00009: names no OPD"):
        retest(a_fault(()), {}, lambda plan: pytest.fail("measured"), environment="replay")
