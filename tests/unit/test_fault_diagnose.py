"""Where an OPD's path breaks (faults/diagnose.py, interfaces.py, path_checks.py): parsers on real
device output, each hop judged from its evidence, the first broken hop, and the I/O edge's
failures as data."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from inventory_edit import SHIPPED_INVENTORY

from sipelangi_net.bandwidth.run import local_execute
from sipelangi_net.compliance.models import DeviceCompliance, FeatureResult
from sipelangi_net.errors import DeviceError, HostKeyError, IncompleteTicketError
from sipelangi_net.faults.diagnose import (
    DeviceReading,
    Diagnosis,
    Ping,
    addresses_on,
    assess,
    devices_on,
    path_of,
    places,
)
from sipelangi_net.faults.interfaces import InterfaceState, frr_interfaces, ovs_interfaces
from sipelangi_net.faults.models import FaultActor, FaultTicket
from sipelangi_net.faults.path_checks import ping, ping_all, read_devices
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.faults.topology import DependencyTree, Target, build_dependencies
from sipelangi_net.faults.workflow import open_fault
from sipelangi_net.inventory import Inventory, load_inventory

FIXTURES = Path(__file__).parent.parent / "fixtures"
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
MONITOR = FaultActor(role=FaultRole.MONITOR, name="monitor-1")
TIM = FaultActor(role=FaultRole.TIM_KERJA, name="tim-budi")
LINK = "link:core-diskominfo:eth2--dist-gerunggang:eth0"
GATEWAYS = {"dinkes": "10.20.1.1"}


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(SHIPPED_INVENTORY)


@pytest.fixture(scope="module")
def tree(inventory: Inventory) -> DependencyTree:
    return build_dependencies(inventory, opds=["dinkes"])


def a_fault(opds: tuple[str, ...] = ("dinkes",)) -> FaultTicket:
    return open_fault(
        number=7,
        kind="unreachable",
        source="monitor",
        severity="outage",
        device="dist-gerunggang",
        opds=opds,
        summary="dinkes unreachable",
        opened_at=T0,
        reported_at=T0,
        actor=MONITOR,
    )


def up(name: str) -> InterfaceState:
    return InterfaceState(name, admin_up=True, link_up=True, errors_in=0, errors_out=0)


def compliant(device: str, *drift: str) -> DeviceCompliance:
    features = tuple(FeatureResult(name, compliant=False, missing=(f"{name} line",)) for name in drift)
    return DeviceCompliance(device, "frr", "drift" if drift else "compliant", features=features)


def healthy() -> dict[str, DeviceReading]:
    ports = {
        "sw-dc-diskominfo": ("eth0",),
        "core-diskominfo": ("eth0", "eth2"),
        "dist-gerunggang": ("eth0", "eth1"),
        "sw-dinkes": ("eth0",),
    }
    return {
        d: DeviceReading(d, interfaces={p: up(p) for p in names}, compliance=compliant(d))
        for d, names in ports.items()
    }


def all_answer(addresses: Sequence[str]) -> dict[str, Ping]:
    return {a: Ping(a, True) for a in addresses}


def judge(
    inventory: Inventory, tree: DependencyTree, readings: dict[str, DeviceReading], pings: dict[str, Ping]
) -> Diagnosis:
    return assess(
        a_fault(), tree, places(inventory, GATEWAYS), readings=readings, pings=pings, environment="lab", at=T0
    )


def test_frr_show_interface_as_frr_prints_it() -> None:
    # FRR 8.4.4 on the lab router, its OPD port taken down ('ip link set eth1 down')
    got = frr_interfaces((FIXTURES / "frr/interface_json/dist.json").read_text())
    assert got["eth0"].up and got["eth0"].link_downs == 0 and got["lo"].up
    assert not got["eth1"].admin_up and not got["eth1"].up and got["eth1"].link_downs == 1
    assert got["eth1"].describe() == "eth1 administratively down, link down 1 times since start"
    assert got["eth0"].errors_in is None and got["eth0"].errors == 0  # FRR 8.4 prints no error counters


def test_ovs_interface_table_as_ovs_vsctl_prints_it() -> None:
    got = ovs_interfaces((FIXTURES / "ovs/list_interface/sw.json").read_text())
    assert got["eth0"].up and got["eth0"].errors_in == 0 and got["eth0"].drops_out == 0
    assert got["eth1"].admin_up and not got["eth1"].link_up
    assert got["br0"].drops_out == 5
    assert "errors in/out 0/0, drops in/out 0/0" in got["eth0"].describe()
    with pytest.raises(ValueError, match="not JSON"):
        ovs_interfaces("ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed")


def test_the_path_runs_from_the_diskominfo_side_to_the_opd(
    tree: DependencyTree, inventory: Inventory
) -> None:
    path = [str(t) for t in path_of(tree, ["dinkes"])]
    assert path == [
        "device:sw-dc-diskominfo",
        "device:core-diskominfo",
        LINK,
        "device:dist-gerunggang",
        "uplink:dinkes",
        "device:sw-dinkes",
        "gateway:dinkes",
        "host:dinkes",
    ]
    where = places(inventory, GATEWAYS)
    targets = path_of(tree, ["dinkes"])
    assert devices_on(targets, where) == (
        "core-diskominfo",
        "dist-gerunggang",
        "sw-dc-diskominfo",
        "sw-dinkes",
    )
    assert addresses_on(targets, where) == ("10.10.10.1", "10.255.0.6", "10.20.1.1")


def test_a_healthy_path_has_no_broken_hop(inventory: Inventory, tree: DependencyTree) -> None:
    where = places(inventory, GATEWAYS)
    pings = all_answer(addresses_on(path_of(tree, ["dinkes"]), where))
    got = judge(inventory, tree, healthy(), pings)
    assert got.broken is None
    assert got.summary == "GGN-00007: no broken hop on the path of dinkes (8 hops, 1 unknown)"
    assert [h.status for h in got.hops][-1] == "unknown"  # the host: no fixed address


def test_a_backbone_link_down_is_the_first_broken_hop(inventory: Inventory, tree: DependencyTree) -> None:
    readings = healthy()
    core = readings["core-diskominfo"]
    assert core.interfaces is not None
    down = dict(core.interfaces) | {"eth2": InterfaceState("eth2", admin_up=True, link_up=False)}
    readings["core-diskominfo"] = DeviceReading(
        "core-diskominfo", interfaces=down, compliance=core.compliance
    )
    readings["dist-gerunggang"] = DeviceReading("dist-gerunggang", error="no answer (timeout)")
    pings = {"10.10.10.1": Ping("10.10.10.1", True), "10.255.0.6": Ping("10.255.0.6", False)}
    got = judge(inventory, tree, readings, pings)
    assert got.broken is not None and got.broken.target == LINK
    assert (
        got.summary == f"GGN-00007: the path of dinkes breaks at {LINK}: 10.255.0.6 (dist-gerunggang eth0)"
        " does not answer ping"
    )
    link = got.broken
    assert [(e.check, e.status) for e in link.evidence] == [
        ("reach", "broken"),
        ("interface", "broken"),
        ("interface", "unknown"),
    ]
    statuses = {h.target: h.status for h in got.hops}
    assert statuses["device:dist-gerunggang"] == "broken"  # its session did not answer
    assert statuses["gateway:dinkes"] == "unknown"  # no ping result, port not read


def test_an_opd_port_down_on_the_router_breaks_at_the_uplink(
    inventory: Inventory, tree: DependencyTree
) -> None:
    readings = healthy()
    dist = frr_interfaces((FIXTURES / "frr/interface_json/dist.json").read_text())  # eth1: taken down
    readings["dist-gerunggang"] = DeviceReading("dist-gerunggang", interfaces=dist, compliance=compliant("d"))
    where = places(inventory, GATEWAYS)
    got = judge(inventory, tree, readings, all_answer(addresses_on(path_of(tree, ["dinkes"]), where)))
    assert got.broken is not None and got.broken.target == "uplink:dinkes"
    assert got.summary.endswith(
        "breaks at uplink:dinkes: dist-gerunggang eth1 administratively down, link down 1 times since start"
    )


def test_config_drift_breaks_a_hop_only_in_a_feature_that_carries_traffic(
    inventory: Inventory, tree: DependencyTree
) -> None:
    where = places(inventory, GATEWAYS)
    pings = all_answer(addresses_on(path_of(tree, ["dinkes"]), where))
    readings = healthy()
    readings["core-diskominfo"] = DeviceReading(
        "core-diskominfo", interfaces=readings["core-diskominfo"].interfaces, compliance=compliant("c", "ntp")
    )
    assert judge(inventory, tree, readings, pings).broken is None
    readings["core-diskominfo"] = DeviceReading(
        "core-diskominfo",
        interfaces=readings["core-diskominfo"].interfaces,
        compliance=compliant("c", "static_routes"),
    )
    got = judge(inventory, tree, readings, pings)
    assert got.broken is not None and got.broken.target == "device:core-diskominfo"
    assert got.summary.endswith("core-diskominfo: config drift in static_routes")


def test_a_port_missing_from_the_device_is_broken(inventory: Inventory, tree: DependencyTree) -> None:
    where = places(inventory, GATEWAYS)
    readings = healthy()
    readings["sw-dinkes"] = DeviceReading("sw-dinkes", interfaces={}, compliance=compliant("s"))
    got = judge(inventory, tree, readings, all_answer(addresses_on(path_of(tree, ["dinkes"]), where)))
    assert got.broken is not None and got.broken.target == "uplink:dinkes"
    assert "sw-dinkes eth0: no such interface" in got.summary


def test_the_diagnosis_is_recorded_as_a_fault_record(inventory: Inventory, tree: DependencyTree) -> None:
    got = judge(inventory, tree, healthy(), {})
    record = got.record(TIM)
    assert record.kind == "diagnosis" and record.summary == got.summary
    assert record.outputs["broken"] is None and len(record.outputs["hops"]) == 8
    assert record.outputs["hops"][0] == {
        "target": "device:sw-dc-diskominfo",
        "status": "ok",
        "evidence": [
            {"check": "session", "status": "ok", "detail": "sw-dc-diskominfo: management session answered"},
            {"check": "interface", "status": "ok", "detail": "sw-dc-diskominfo eth0 up, errors in/out 0/0"},
            {"check": "config", "status": "ok", "detail": "sw-dc-diskominfo: running config as intended"},
        ],
    }


def test_a_fault_naming_no_opd_cannot_be_diagnosed(inventory: Inventory, tree: DependencyTree) -> None:
    with pytest.raises(IncompleteTicketError, match="GGN-00007: names no OPD"):
        assess(a_fault(()), tree, places(inventory, {}), readings={}, pings={}, environment="lab", at=T0)


def test_ping_from_this_machine_to_loopback_answers() -> None:
    assert ping(local_execute, "127.0.0.1") == Ping("127.0.0.1", True)


def fake(code: int, stderr: str = "") -> object:
    def execute(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(list(argv), code, "", stderr)

    return execute


def test_a_ping_not_answered_or_not_made_is_data() -> None:
    assert ping(fake(1), "10.255.0.6") == Ping("10.255.0.6", False)  # type: ignore[arg-type]
    got = ping(fake(127, "ping: not found\n"), "10.255.0.6")  # type: ignore[arg-type]
    assert got == Ping("10.255.0.6", False, error="ping: not found")
    assert got.evidence("x").status == "unknown"
    assert ping_all(fake(0), []) == {}  # type: ignore[arg-type]


def test_a_device_that_fails_is_its_readings_error_not_a_failed_run() -> None:
    def reader(name: str) -> DeviceReading:
        if name == "sw-dinkes":
            raise HostKeyError(name, "127.0.0.1:2222: host key unknown or changed; refusing to connect")
        if name == "core-diskominfo":
            raise DeviceError(name, "no answer (timeout)")
        return DeviceReading(name, interfaces={})

    got = read_devices(["core-diskominfo", "dist-gerunggang", "sw-dinkes"], reader)
    assert got["dist-gerunggang"].error == ""
    assert got["core-diskominfo"].error == "no answer (timeout)"
    assert got["sw-dinkes"].error.startswith("127.0.0.1:2222: host key unknown")


def test_a_bug_in_a_reader_is_raised_not_hidden() -> None:
    def reader(name: str) -> DeviceReading:
        raise KeyError(name)

    with pytest.raises(KeyError):
        read_devices(["core-diskominfo"], reader)


def test_an_unknown_target_name_is_named(tree: DependencyTree) -> None:
    with pytest.raises(KeyError, match="gateway:nowhere"):
        tree.ancestors(Target("gateway", "nowhere"))
