"""The monitor's rounds on the shipped inventory with devices, pings and iperf3 given by the test:
a port down opens a fault for the OPD's uplink (its host folded in) and its return closes it,
rising error counters and a throughput below the plan degrade, a silent router opens one fault
naming the OPDs behind it, and the loop stops on its event."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.faults.correlate import RoundResult
from sipelangi_net.faults.monitor import Monitor, MonitorSettings, RoundReport
from sipelangi_net.faults.observe import OpdWatch, Seen, watch_of
from sipelangi_net.faults.observe import observe as observe_round
from sipelangi_net.faults.probes import ThroughputRoute
from sipelangi_net.faults.sessions import DeviceRef, SessionPool, device_refs
from sipelangi_net.faults.topology import Target, build_dependencies
from sipelangi_net.faults.watching import parsers_of
from sipelangi_net.inventory import Inventory, load_inventory
from sipelangi_net.platforms import Platform

ROOT = Path(__file__).resolve().parents[2]
IPERF = (ROOT / "tests" / "fixtures" / "iperf3" / "tcp_download.json").read_text()
DINKES = OpdWatch("dinkes", "10.20.0.1", "10.20.0.2", 28, 20.0, "SPL-2026-00001")


class World:
    """What the devices answer: every port of the inventory up, unless the test says otherwise."""

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.down: set[tuple[str, str]] = set()
        self.errors: dict[tuple[str, str], int] = {}
        self.silent: set[str] = set()
        self.reachable = {DINKES.gateway, DINKES.host}
        self.mbps = 95.0
        self.ports: dict[str, set[str]] = {}
        for link in inv.links:
            self.ports.setdefault(link.a.device, set()).add(link.a.port)
            self.ports.setdefault(link.b.device, set()).add(link.b.port)
        for site in inv.sites.values():
            self.ports.setdefault(site.distribution.device, set()).add(site.distribution.port)
            self.ports.setdefault(site.access_switch.device, set()).add(site.access_switch.uplink)

    def answer(self, device: str) -> str:
        ports = sorted(self.ports.get(device, ()))
        if self.inv.devices[device].platform is Platform.OVS:
            rows = [
                [p, "up", "down" if (device, p) in self.down else "up",
                 ["map", [["rx_errors", self.errors.get((device, p), 0)]]]]
                for p in ports
            ]  # fmt: skip
            return json.dumps({"headings": ["name", "admin_state", "link_state", "statistics"], "data": rows})
        return json.dumps(
            {
                p: {
                    "operationalStatus": "down" if (device, p) in self.down else "up",
                    "inputErrors": self.errors.get((device, p), 0),
                }
                for p in ports
            }
        )

    def ping(self, addresses: Any, *, timeout: float = 1.0) -> frozenset[str]:
        return frozenset(a for a in addresses if a in self.reachable)

    def iperf(self, argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        data = json.loads(IPERF)
        data["end"]["sum_received"]["bits_per_second"] = self.mbps * 1e6
        return subprocess.CompletedProcess(list(argv), 0, json.dumps(data), "")


class FakeSession:
    def __init__(self, world: World, device: DeviceRef) -> None:
        self.world, self.device = world, device

    def open(self) -> None:
        if self.device.name in self.world.silent:
            raise OSError("connection refused")

    def run(self, command: str, *, timeout: float) -> str:
        if self.device.name in self.world.silent:
            raise OSError("session lost")
        return self.world.answer(self.device.name)

    def close(self) -> None:
        pass


@pytest.fixture
def inv() -> Inventory:
    return load_inventory(ROOT / "inventory")


def monitor(inv: Inventory, world: World, pinger: Any = None, **settings: Any) -> tuple[Monitor, SessionPool]:
    tree = build_dependencies(inv, opds=["dinkes"])
    watch = watch_of(inv, tree, {"dinkes": DINKES})
    pool = SessionPool(
        device_refs(inv, watch.devices), factory=lambda d: FakeSession(world, d), read_timeout=1
    )
    route = ThroughputRoute(world.iperf, "10.10.10.20", 5201, True)
    mon = Monitor(
        watch=watch,
        sessions=pool,
        pinger=pinger or world,
        parsers=parsers_of(inv, watch.devices),
        throughput=lambda _opd: route,
        settings=MonitorSettings(interval=0.01, **settings),
    )
    return mon, pool


def changes(result: RoundResult) -> list[tuple[str, str, str]]:
    return [
        (d.action, str(d.fault.target), d.fault.kind) for d in result.decisions if d.action != "still_open"
    ]


def rounds(mon: Monitor, n: int) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for _ in range(n):
        result, _report = mon.round()
        out.extend(changes(result))
    return out


def test_a_quiet_network_observes_every_target_up_and_opens_nothing(inv: Inventory) -> None:
    world = World(inv)
    mon, pool = monitor(inv, world, throughput_every=1)
    with pool:
        assert rounds(mon, 5) == []
        _result, report = mon.round()
    assert {o.status for o in report.observations} == {"up"}
    assert len(report.observations) == len(mon.watch.tree.nodes)
    assert report.probe is not None and report.probe.mbps == 95.0 and not report.probe.low


def test_an_uplink_port_down_opens_one_fault_and_its_return_closes_it(inv: Inventory) -> None:
    world = World(inv)
    mon, pool = monitor(inv, world, throughput_every=0)
    with pool:
        rounds(mon, 2)
        world.down |= {("dist-gerunggang", "eth1"), ("sw-dinkes", "eth0")}
        world.reachable = set()
        opened = rounds(mon, 3)
        assert ("open", "uplink:dinkes", "down") in opened
        assert not any(t == "host:dinkes" for _a, t, _k in opened)  # behind the uplink: folded
        world.down.clear()
        world.reachable = {DINKES.gateway, DINKES.host}
        closed = rounds(mon, 3)
    assert ("close", "uplink:dinkes", "down") in closed
    assert not mon.state.faults


def test_a_silent_router_opens_one_fault_naming_the_opds_behind_it(inv: Inventory) -> None:
    world = World(inv)
    mon, pool = monitor(inv, world, throughput_every=0)
    with pool:
        rounds(mon, 1)
        world.silent.add("dist-gerunggang")
        world.reachable = set()
        opened = rounds(mon, 4)
        _result, report = mon.round()
    assert [o for o in opened if o[0] == "open"] == [("open", "device:dist-gerunggang", "down")]
    fault = mon.state.faults[(Target("device", "dist-gerunggang"), "down")]
    assert fault.opds == ("dinkes",)
    assert "dist-gerunggang" in report.silent


def test_rising_error_counters_degrade_the_link(inv: Inventory) -> None:
    world = World(inv)
    mon, pool = monitor(inv, world, throughput_every=0, error_rise=10)
    with pool:
        rounds(mon, 1)
        seen = []
        for n in range(1, 5):
            world.errors[("sw-dinkes", "eth0")] = 50 * n
            seen.extend(rounds(mon, 1))
    assert ("open", "uplink:dinkes", "degraded") in seen


def test_a_throughput_below_the_plan_degrades_the_uplink(inv: Inventory) -> None:
    world = World(inv)
    mon, pool = monitor(inv, world, throughput_every=1, throughput_confirm=2, throughput_fraction=0.5)
    with pool:
        assert rounds(mon, 2) == []
        world.mbps = 2.0  # plan 20 Mbit/s
        degraded = rounds(mon, 5)
        world.mbps = 19.0
        back = rounds(mon, 4)
    assert degraded == [("open", "uplink:dinkes", "degraded")]
    assert back == [("close", "uplink:dinkes", "degraded")]


def test_observe_says_nothing_of_a_link_whose_ends_are_both_silent(inv: Inventory) -> None:
    tree = build_dependencies(inv, opds=["dinkes"])
    watch = watch_of(inv, tree, {"dinkes": DINKES})
    seen = Seen(ports={"dist-gerunggang": None, "sw-dinkes": None})
    obs, _errors = observe_round(watch, seen, {})
    targets = {str(o.target): o.status for o in obs}
    assert targets["device:dist-gerunggang"] == "down"
    assert "uplink:dinkes" not in targets
    assert targets["gateway:dinkes"] == "down"


def test_the_loop_stops_on_its_event(inv: Inventory) -> None:
    world = World(inv)
    mon, pool = monitor(inv, world, throughput_every=0)
    stop = threading.Event()
    seen: list[RoundReport] = []

    def on_round(_result: RoundResult, report: RoundReport) -> None:
        seen.append(report)
        if len(seen) == 3:
            stop.set()

    with pool:
        assert mon.run(on_round, stop=stop) == 3
        assert mon.run(on_round, stop=threading.Event(), rounds=2) == 2
    assert [r.number for r in seen] == [1, 2, 3, 4, 5]


class BrokenPinger:
    def ping(self, addresses: Any, *, timeout: float = 1.0) -> frozenset[str]:
        raise OSError("Operation not permitted")


def test_a_failing_pinger_observes_no_gateway_or_host_rather_than_all_down(inv: Inventory) -> None:
    world = World(inv)
    mon, pool = monitor(inv, world, BrokenPinger(), throughput_every=0)
    with pool:
        assert rounds(mon, 4) == []
        _result, report = mon.round()
    kinds = {o.target.kind for o in report.observations}
    assert "gateway" not in kinds and "host" not in kinds and "device" in kinds
