"""Every failure path of a change, on a fake network (tests/unit/fake_network.py), without root.

The guarantees under test (sipelangi_net.change.push): what was approved is what is pushed,
and only while every device runs the config it was computed from; all or nothing across the
devices — a failure at any phase (open, read, arm, push, check, confirm) leaves no device with
the change, a device that cannot be reached is named with the time its own timer restores it,
and devices already confirmed are put back through ``undo``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
from fake_network import FakeNetwork
from kea_server import LocalKea
from ticket_data import scheduled

from sipelangi_net.analysis.steps import stored_plan
from sipelangi_net.change.changeset import ChangeSet, DeviceChange, from_json, to_json
from sipelangi_net.change.dhcp import Scope, scope_entry, ticket_of
from sipelangi_net.change.dhcp_target import remove_scope
from sipelangi_net.change.engine import Engine
from sipelangi_net.change.push import DeployReport, DeviceResult, deploy, normalise
from sipelangi_net.change.render import Intended, render_plan
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.base import ScopeServer
from sipelangi_net.errors import ChangedSince, ConfigError, DeviceError
from sipelangi_net.inventory import Inventory, load_inventory
from sipelangi_net.platforms import Platform
from sipelangi_net.tickets.sqlite import SqliteStore

CREDS = Credentials(username="u", password="p")
CORE, DIST, SW = "core-diskominfo", "dist-gerunggang", "sw-dinkes"


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Inventory]]:
    """A ticket's plan (steps 1-6) and the shipped inventory: three devices to change."""
    base = tmp_path_factory.mktemp("plan")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SIPELANGI_AUDIT_KEY", str(base / "audit.key"))
        mp.setenv("SIPELANGI_CHECKPOINTS", str(base / "checkpoints.jsonl"))
        st = SqliteStore(base / "tickets.db")
        try:
            tid = scheduled(st)
            plan = stored_plan(st.get(tid), "deploy")
        finally:
            st.close()
    yield plan, load_inventory(Path(__file__).resolve().parents[2] / "inventory")


@pytest.fixture
def net(planned: tuple[Any, Inventory], local_kea: LocalKea) -> FakeNetwork:
    plan, inventory = planned
    network = FakeNetwork.blank(render_plan(plan, inventory), kea=local_kea.server)
    assert sorted(network.devices) == [CORE, DIST, SW]
    return network


def run(planned: tuple[Any, Inventory], net: FakeNetwork, tmp_path: Path, **kwargs: Any) -> DeployReport:
    plan, inventory = planned
    return deploy(plan, inventory, CREDS, driver_factory=net.driver, backups=tmp_path / "backups", **kwargs)


def untouched(net: FakeNetwork, before: Mapping[str, str]) -> None:
    """Every device runs exactly what it ran before, and no timer is left armed."""
    for name, dev in net.devices.items():
        assert normalise(dev.platform, dev.running) == normalise(dev.platform, before[name]), name
        assert dev.snapshot is None, f"{name} is still armed"
    assert all(drv.closed for drv in net.opened), "every session is closed"


def configs(net: FakeNetwork) -> dict[str, str]:
    return {n: d.running for n, d in net.devices.items()}


# --- the change set ------------------------------------------------------------------------------


def test_the_dry_run_change_set_is_what_is_pushed(planned: Any, net: FakeNetwork, tmp_path: Path) -> None:
    dry = run(planned, net, tmp_path, dry_run=True)
    assert dry.ok and dry.change is not None and dry.change.changed == (CORE, DIST, SW)
    assert not net.carried_out("arm"), "a dry run arms nothing"
    done = run(planned, net, tmp_path, approved=dry.change)
    assert done.ok, done.error
    assert done.change_set == dry.change_set
    assert {d.device: d.state for d in done.devices} == dict.fromkeys((CORE, DIST, SW), "confirmed")
    for device in dry.change.devices:
        assert [d.commands for d in done.devices if d.device == device.device] == [device.commands]
    again = run(planned, net, tmp_path, dry_run=True)
    assert again.ok and not again.changed, "the devices run the intended config: nothing left to send"


def test_a_device_changed_after_the_confirmation_is_refused_before_any_push(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    approved = run(planned, net, tmp_path, dry_run=True).change
    assert approved is not None
    net.devices[DIST].apply(["ip route 192.0.2.0/24 10.255.0.9"])  # someone edited it meanwhile
    before = configs(net)
    report = run(planned, net, tmp_path, approved=approved)
    assert not report.ok
    assert report.error.startswith(f"{DIST}: the running config changed since the diff was confirmed")
    assert "nothing was pushed to any device" in report.error
    assert not net.carried_out("arm") and not net.carried_out("push"), "no device was armed or sent anything"
    untouched(net, before)


def test_a_change_set_whose_commands_differ_is_refused(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    approved = run(planned, net, tmp_path, dry_run=True).change
    assert approved is not None
    core = approved.of(CORE)
    other = DeviceChange(CORE, core.platform, core.running_sha256, ("ip route 0.0.0.0/0 192.0.2.1",))
    forged = ChangeSet(
        approved.ticket_id, tuple(other if d.device == CORE else d for d in approved.devices), approved.dhcp
    )
    report = run(planned, net, tmp_path, approved=forged)
    assert not report.ok and "not the one confirmed" in report.error
    assert not net.carried_out("push")


def test_change_set_check_names_every_moved_device() -> None:
    cs = ChangeSet(
        "SPL-1", (DeviceChange("a", "frr", "1" * 64, ("x",)), DeviceChange("b", "frr", "2" * 64, ()))
    )
    cs.check_current({"a": "1" * 64, "b": "2" * 64})
    with pytest.raises(ChangedSince, match=r"^SPL-1: a, b: the running config changed"):
        cs.check_current({"a": "3" * 64, "b": "4" * 64})
    with pytest.raises(ChangedSince, match=r"not the approved ones \(c\)"):
        cs.check_current({"a": "1" * 64, "b": "2" * 64, "c": "5" * 64})
    assert cs.digest != ChangeSet("SPL-2", cs.devices).digest, "the ticket is part of what is approved"


# --- all or nothing: a fault at each phase ---------------------------------------------------------


@pytest.mark.parametrize("verb", ["open", "get_config"])
def test_a_device_that_cannot_be_read_stops_the_change_before_any_arm(
    planned: Any, net: FakeNetwork, tmp_path: Path, verb: str
) -> None:
    before = configs(net)
    net.fail(SW, verb)
    report = run(planned, net, tmp_path)
    assert not report.ok and f"{SW}: {verb} refused" in report.error
    assert not net.carried_out("arm")
    untouched(net, before)


@pytest.mark.parametrize(("verb", "phase"), [("arm", "cannot arm"), ("push", "rejected")])
def test_a_refused_arm_or_push_rolls_every_armed_device_back(
    planned: Any, net: FakeNetwork, tmp_path: Path, verb: str, phase: str
) -> None:
    before = configs(net)
    net.fail(DIST, verb)
    report = run(planned, net, tmp_path)
    assert not report.ok and phase in report.error and f"{DIST}: {verb} refused" in report.error
    states = {d.device: d.state for d in report.devices}
    assert states[DIST] == ("failed" if verb == "arm" else "rolled_back"), (
        "a rejected push is rolled back too"
    )
    assert f"{verb} refused" in next(d.error for d in report.devices if d.device == DIST)
    assert {states[CORE], states[SW]} == {"rolled_back"}
    assert all(d.verified for d in report.devices if d.state == "rolled_back"), "checked against the backup"
    untouched(net, before)


@pytest.mark.parametrize("phase", ["arm", "push"])
def test_management_lost_after_a_phase_names_the_device_and_its_timer(
    planned: Any, net: FakeNetwork, tmp_path: Path, phase: str
) -> None:
    """The switch's management path is lost right after it was armed / pushed: the routers are
    rolled back by this run; the switch cannot be, and is named with when its own timer acts."""
    before = configs(net)
    net.after(SW, phase, lambda: net.cut(SW))
    report = run(planned, net, tmp_path)
    assert not report.ok
    switch = next(d for d in report.devices if d.device == SW)
    assert switch.state == "failed" and "its own revert timer restores its backup by" in switch.error
    assert "NOT ROLLED BACK by this run" in report.error and SW in report.error
    for name in (CORE, DIST):
        assert normalise(Platform.FRR, net.devices[name].running) == normalise(Platform.FRR, before[name])
    net.devices[SW].expire()  # the switch's timer fires on the device
    untouched(net, before)


def test_lines_missing_after_the_push_roll_back(planned: Any, net: FakeNetwork, tmp_path: Path) -> None:
    before = configs(net)
    net.after(CORE, "push", lambda: setattr(net.devices[CORE], "running", "hostname core-diskominfo\nend\n"))
    report = run(planned, net, tmp_path)
    assert not report.ok and "post-check failed" in report.error and "still missing" in report.error
    untouched(net, before)


def test_a_failed_post_check_rolls_every_device_back(planned: Any, net: FakeNetwork, tmp_path: Path) -> None:
    before = configs(net)

    def unreachable_application() -> None:
        raise DeviceError("pc-dinkes", "simpeg at 10.10.10.20:443 does not answer from 10.20.0.10/25")

    report = run(planned, net, tmp_path, post_check=unreachable_application)
    assert not report.ok and "post-check failed: pc-dinkes: simpeg" in report.error
    assert not net.carried_out("confirm")
    untouched(net, before)


class Undo:
    """An ``undo`` that puts the given devices back as a safe push would (or fails), and records it."""

    def __init__(self, net: FakeNetwork, *, works: bool = True) -> None:
        self.net, self.works = net, works
        self.before = {n: d.running for n, d in net.devices.items()}
        self.calls: list[tuple[dict[str, Intended], dict[str, str]]] = []

    def __call__(self, backups: Mapping[str, Intended], expect: Mapping[str, str]) -> DeployReport:
        self.calls.append((dict(backups), dict(expect)))
        report = DeployReport(ticket_id="undo", ok=self.works, error="" if self.works else "refused")
        for name in backups:
            if self.works:
                self.net.devices[name].running = self.before[name]
            report.devices.append(DeviceResult(device=name, platform=self.net.devices[name].platform))
        return report


def test_a_device_lost_between_confirms_undoes_the_ones_already_confirmed(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    """core is confirmed, then dist's management path is lost: core is put back through ``undo``,
    sw (armed, not confirmed) rolls back on its snapshot, dist is named with its timer."""
    before = configs(net)
    undo = Undo(net)
    net.after(CORE, "confirm", lambda: net.cut(DIST))
    report = run(planned, net, tmp_path, undo=undo)
    assert not report.ok and report.error.startswith("confirm failed")
    states = {d.device: d.state for d in report.devices}
    assert states == {CORE: "rolled_back", DIST: "failed", SW: "rolled_back"}
    assert "its own revert timer restores its backup by" in report.error
    assert f"put back to their backups: {CORE}" in report.error
    ((backups, expect),) = undo.calls
    assert list(backups) == [CORE] and backups[CORE].text == before[CORE], "the backup of this run"
    assert expect[CORE] == next(d.after_sha256 for d in report.devices if d.device == CORE)
    net.devices[DIST].expire()
    untouched(net, before)


def test_an_undo_that_fails_says_which_devices_keep_the_change(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    net.after(CORE, "confirm", lambda: net.fail(DIST, "confirm", "commit-confirm confirm: nothing is armed"))
    report = run(planned, net, tmp_path, undo=Undo(net, works=False))
    assert not report.ok and f"NOT put back, still changed: {CORE}" in report.error
    core = next(d for d in report.devices if d.device == CORE)
    assert core.state == "failed" and "confirmed, then NOT put back" in core.error


def test_without_an_undo_the_confirmed_devices_are_named(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    net.after(CORE, "confirm", lambda: net.cut(DIST))
    report = run(planned, net, tmp_path)
    assert f"STILL CHANGED (no undo for this run): {CORE}" in report.error


# --- the engine ------------------------------------------------------------------------------------


def test_the_engine_gives_each_hosts_result_as_data() -> None:
    def op(name: str) -> str:
        if name == "b":
            raise DeviceError(name, "no answer")
        return name.upper()

    results = Engine(["a", "b", "c"]).run(op, ["a", "b", "c"], name="op")
    assert not results.ok
    assert {n: r.value for n, r in results.hosts.items()} == {"a": "A", "b": None, "c": "C"}
    assert [(n, str(e)) for n, e in results.errors] == [("b", "b: no answer")]


def test_a_bug_in_a_task_is_raised_not_taken_for_a_device_failure(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    net.after(SW, "open", lambda: 1 / 0)  # type: ignore[func-returns-value]
    with pytest.raises(ZeroDivisionError):
        run(planned, net, tmp_path)
    assert all(drv.closed for drv in net.opened), "the sessions are closed even then"


# --- the saved change set (diff → deploy --change-set) ---------------------------------------------


def test_a_saved_change_set_reads_back_only_as_itself(tmp_path: Path) -> None:
    cs = ChangeSet("SPL-1", (DeviceChange("core", "frr", "a" * 64, ("ip route 10.0.0.0/8 10.1.1.1",)),))
    path = tmp_path / "change-set.json"
    path.write_text(to_json(cs))
    assert from_json(path, "SPL-1", cs.digest[:12]) == cs
    with pytest.raises(ConfigError, match=r"holds change set [0-9a-f]{12}, not 000000000000"):
        from_json(path, "SPL-1", "0" * 12)
    with pytest.raises(ConfigError, match=r"the change set of ticket SPL-1, not SPL-2"):
        from_json(path, "SPL-2", cs.digest)
    with pytest.raises(ConfigError, match=r"--change-set 'xyz'"):
        from_json(path, "SPL-1", "xyz")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["devices"][0].update(commands=["ip route 1.1.1.0/24 2.2.2.2\nhostname evil"]),
            r"commands",
        ),
        (lambda d: d["devices"][0].update(device="../../etc"), r"devices\[0\]\.device"),
        (lambda d: d["devices"][0].update(running_sha256="x"), r"running_sha256"),
        (lambda d: d.update(devices="all"), r"not a change set"),
        (lambda d: d["devices"][0]["commands"].append("no ip route 0.0.0.0/0"), r"holds change set"),
    ],
)
def test_an_edited_change_set_file_is_refused_naming_the_field(
    tmp_path: Path, edit: Any, message: str
) -> None:
    cs = ChangeSet("SPL-1", (DeviceChange("core", "frr", "a" * 64, ("ip route 10.0.0.0/8 10.1.1.1",)),))
    doc = json.loads(to_json(cs))
    edit(doc)
    path = tmp_path / "change-set.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=message) as caught:
        from_json(path, "SPL-1", cs.digest[:12])
    assert str(path) in str(caught.value)


def test_no_saved_change_set_says_to_run_the_diff(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"run 'sipelangi-net diff'.*file not found"):
        from_json(tmp_path / "change-set.json", "SPL-1", "a" * 12)


# --- the central DHCP server (a real Kea: the gateway of the shipped inventory is FRR, which relays) --


DHCP = "srv-dhcp"


def ours(net: FakeNetwork) -> list[tuple[str, str | None]]:
    """(subnet, ticket) of every scope the test's Kea server holds now."""
    return [(e["subnet"], ticket_of(e)) for e in net.subnets()]


def test_the_scope_is_in_the_change_set_set_before_the_devices_and_idempotent(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    plan, _ = planned
    dry = run(planned, net, tmp_path, dry_run=True)
    assert dry.change is not None and dry.change.dhcp is not None and dry.change.dhcp.server == DHCP
    (command,) = dry.change.dhcp.commands
    assert command.startswith("subnet4 add ") and str(plan.addressing.subnet) in command
    assert net.subnets() == [], "a dry run sets nothing"
    report = run(planned, net, tmp_path, approved=dry.change)
    assert report.ok, report.error
    assert report.dhcp is not None and report.dhcp.state == "confirmed"
    assert ours(net) == [(str(plan.addressing.subnet), plan.ticket_id)]
    assert json.loads(Path(report.dhcp.backup_path).read_text()) == [], "the backup: the scopes before"
    again = run(planned, net, tmp_path, dry_run=True)
    assert again.change is not None and again.change.dhcp is not None and again.change.dhcp.commands == ()
    assert not again.changed


def test_a_failed_post_check_takes_the_scope_off_the_dhcp_server_too(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    before = configs(net)
    seen: list[list[tuple[str, str | None]]] = []

    def pc_gets_no_answer() -> None:
        seen.append(ours(net))
        raise DeviceError("pc-dinkes", "simpeg does not answer")

    report = run(planned, net, tmp_path, post_check=pc_gets_no_answer)
    assert not report.ok and seen and seen[0], "the scope was set when the post-check ran"
    assert report.dhcp is not None and (report.dhcp.state, report.dhcp.verified) == ("rolled_back", True)
    assert net.subnets() == []
    untouched(net, before)


def test_a_dhcp_server_that_refuses_the_scope_stops_the_change_before_any_device_is_armed(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    before = configs(net)
    net.fail(DHCP, "set_subnets", "config-set: subnet4 refused")
    report = run(planned, net, tmp_path)
    assert not report.ok and "central DHCP server refused the scope" in report.error and DHCP in report.error
    assert not net.carried_out("arm") and not net.carried_out("push")
    assert net.subnets() == []
    untouched(net, before)


def test_a_scope_of_another_ticket_on_the_subnet_is_refused_before_anything_is_sent(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    plan, _ = planned
    a = plan.addressing
    other = Scope("SPL-2026-00777", a.subnet, a.gateway.ip, a.dhcp_first, a.dhcp_last)
    with net.kea_client("kea") as kea:
        kea.set_subnets([scope_entry(other)])
    report = run(planned, net, tmp_path)
    assert not report.ok and "SPL-2026-00777" in report.error and str(a.subnet) in report.error
    assert not net.carried_out("arm")
    assert ours(net) == [(str(a.subnet), "SPL-2026-00777")]


def test_a_dhcp_server_changed_after_the_confirmation_is_refused(
    planned: Any, net: FakeNetwork, tmp_path: Path
) -> None:
    approved = run(planned, net, tmp_path, dry_run=True).change
    elsewhere = Scope(
        "SPL-2026-00778", IPv4Network("10.99.0.0/24"), IPv4Address("10.99.0.1"),
        IPv4Address("10.99.0.10"), IPv4Address("10.99.0.200"),
    )  # fmt: skip
    with net.kea_client("kea") as kea:
        kea.set_subnets([scope_entry(elsewhere)])
    report = run(planned, net, tmp_path, approved=approved)
    assert not report.ok and f"{DHCP}: the running config changed since" in report.error
    assert not net.carried_out("push") and ours(net) == [("10.99.0.0/24", "SPL-2026-00778")]


def test_a_saved_change_set_keeps_its_dhcp_scope(planned: Any, net: FakeNetwork, tmp_path: Path) -> None:
    change = run(planned, net, tmp_path, dry_run=True).change
    assert change is not None and change.dhcp is not None
    path = tmp_path / "change-set.json"
    path.write_text(to_json(change))
    assert from_json(path, change.ticket_id, change.digest[:12]) == change
    without = ChangeSet(change.ticket_id, change.devices)
    assert without.digest != change.digest, "the scope is part of what is approved"


def test_removing_a_tickets_scope_leaves_the_others(planned: Any, net: FakeNetwork, tmp_path: Path) -> None:
    plan, inventory = planned
    assert run(planned, net, tmp_path).ok
    elsewhere = Scope(
        "SPL-2026-00779", IPv4Network("10.98.0.0/24"), IPv4Address("10.98.0.1"),
        IPv4Address("10.98.0.10"), IPv4Address("10.98.0.200"),
    )  # fmt: skip
    with net.kea_client("kea") as kea:
        kea.set_subnets([*kea.subnets(), scope_entry(elsewhere)])
    server = ScopeServer(DHCP, inventory.servers.dhcp.control_url)
    removed = remove_scope(plan.ticket_id, server, str(plan.addressing.subnet), net.driver, CREDS)
    assert (removed.state, removed.verified) == ("rolled_back", True) and removed.commands
    assert ours(net) == [("10.98.0.0/24", "SPL-2026-00779")]
    assert (
        remove_scope(plan.ticket_id, server, str(plan.addressing.subnet), net.driver, CREDS).state
        == "unchanged"
    )
