"""Deploy drivers of the platforms that cannot run here, against replayed devices.

Each case is a folder ``tests/fixtures/<platform>/driver_<case>/`` with one cassette per device
(see tests/replay/replay_ssh.py and replay_eapi.py): the real adapter code runs (Netmiko, napalm,
PyEZ/ncclient, pyeapi) and talks over a real transport on 127.0.0.1 to a device that answers as
recorded and refuses any command or RPC out of order. ``deploy()`` runs unchanged, with the
registry's ``open_driver`` and the reachability post-check.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

import tests.replay.test_render_golden as golden
from sipelangi_net.change.diff import diff_device
from sipelangi_net.change.push import DeployReport, deploy
from sipelangi_net.drivers.registry import open_driver, reachability
from sipelangi_net.drivers.routeros import RouterOSDriver
from sipelangi_net.errors import DeviceError, HostKeyError
from sipelangi_net.platforms import Platform
from tests.replay.replay_eapi import ReplayEapi, load_eapi_cassette, make_certificate
from tests.replay.replay_ssh import ReplayDevice, load_cassette, replay_credentials
from tests.replay.replaying import FIXTURES, new_host_key, replay_problems, settle

ROUTED = ("core-diskominfo", "dist-gerunggang")


def routed_plan() -> Any:
    """The Dinkes plan without the access switch: the routed part (core route, gateway)."""
    ports = tuple(p for p in golden.PLAN.ports if p.device != "sw-dinkes")
    return golden.PLAN.model_copy(update={"ports": ports})


@pytest.fixture(scope="module")
def host_key(tmp_path_factory: pytest.TempPathFactory) -> paramiko.PKey:
    return new_host_key(tmp_path_factory.mktemp("hostkey") / "key")


@dataclasses.dataclass
class Replay:
    devices: dict[str, Any]
    inventory: Any
    creds: Any

    def played(self, name: str) -> list[str]:
        return self.devices[name].played

    def assert_played_whole(self) -> None:
        settle(self.devices.values())
        errors, left = replay_problems(self.devices.values())
        assert errors == []
        assert left == {}, f"steps never played: {left}"


@contextlib.contextmanager
def replay(
    tmp_path: Path, host_key: paramiko.PKey, platform: str, case: str, router: Platform, switch: Platform
) -> Iterator[Replay]:
    """The devices of ``tests/fixtures/<platform>/driver_<case>/``, on the golden inventory with
    ``router`` for the routers and ``switch`` for the switches, moved to the replay ports."""
    folder = FIXTURES / platform / f"driver_{case}"
    devices: dict[str, Any] = {}
    if platform == Platform.ARISTA_EOS.value:
        _, cert, key = make_certificate(tmp_path)
        for p in sorted(folder.glob("*.yaml")):
            devices[p.stem] = ReplayEapi(p.stem, load_eapi_cassette(p), cert, key)
    else:
        for p in sorted(folder.glob("*.yaml")):
            devices[p.stem] = ReplayDevice(p.stem, load_cassette(p), host_key)
    for device in devices.values():
        device.start()
    try:
        known_hosts = tmp_path / "known_hosts"
        known_hosts.write_text(
            "".join(d.known_hosts_line() for d in devices.values() if isinstance(d, ReplayDevice))
        )
        inv = golden.inventory_as(router, switch)
        moved = {
            name: dataclasses.replace(dev, hostname="127.0.0.1", port=devices[name].port)
            for name, dev in inv.devices.items()
            if name in devices
        }
        inventory = dataclasses.replace(inv, devices={**inv.devices, **moved})
        yield Replay(devices, inventory, replay_credentials(known_hosts))
    finally:
        for device in devices.values():
            device.stop()


def run_deploy(rp: Replay, plan: Any, tmp_path: Path) -> DeployReport:
    factory, check = reachability(plan, open_driver)
    return deploy(
        plan,
        rp.inventory,
        rp.creds,
        driver_factory=factory,
        backups=tmp_path / "backups",
        confirm_seconds=120,
        post_check=check,
    )


def assert_armed_before_push(played: list[str], timer: str, first_pushed: str) -> None:
    assert timer in played and first_pushed in played
    assert played.index(timer) < played.index(first_pushed), "the revert timer must be armed first"


# --- the registry ------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", list(Platform))
def test_every_platform_has_a_deploy_driver_that_connects_only_when_opened(platform: Platform) -> None:
    device = dataclasses.replace(golden.CAT.inventory.devices["dist-gerunggang"], platform=platform)
    creds = replay_credentials(Path("/nonexistent/known_hosts"))
    driver = open_driver(device, creds)  # no I/O in the constructor
    assert (driver.name, driver.platform) == ("dist-gerunggang", platform.value)
    for verb in ("open", "get_config", "arm", "push", "confirm", "rollback", "close"):
        assert callable(getattr(driver, verb))
    driver.close()  # closing a driver never opened is fine


def test_the_lab_factory_refuses_a_platform_of_another_driver() -> None:
    from sipelangi_net.drivers.lab import open_driver as lab_open_driver

    device = dataclasses.replace(
        golden.CAT.inventory.devices["dist-gerunggang"], platform=Platform.JUNIPER_JUNOS
    )
    with pytest.raises(DeviceError, match="not a lab platform"):
        lab_open_driver(device, replay_credentials(Path("/nonexistent")))


def test_reachability_needs_a_gateway_driver_that_can_ping() -> None:
    factory, check = reachability(routed_plan(), lambda device, creds: object())  # type: ignore[arg-type,return-value]
    assert check is not None
    factory(golden.CAT.inventory.devices["dist-gerunggang"], None)
    with pytest.raises(DeviceError, match="dist-gerunggang: its driver cannot ping"):
        check()
    assert reachability(core_only_plan())[1] is None  # nothing routed to check


# --- Cisco IOS (Netmiko over SSH, IOS archive revert timer) -----------------------------------


def test_ios_deploy_backs_up_arms_pushes_verifies_pings_and_confirms(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    with replay(tmp_path, host_key, "cisco_ios", "deploy", Platform.CISCO_IOS, Platform.CISCO_IOS) as rp:
        report = run_deploy(rp, routed_plan(), tmp_path)
        rp.assert_played_whole()
    assert report.ok, report.error
    assert report.changed
    by_name = {d.device: d for d in report.devices}
    assert {n: d.state for n, d in by_name.items()} == dict.fromkeys(ROUTED, "confirmed")
    folder = FIXTURES / "cisco_ios" / "driver_deploy"
    for name in ROUTED:
        backup = Path(by_name[name].backup_path)
        assert backup.read_text() == (folder / f"{name}.running.txt").read_text().rstrip("\n")
        pushed = [ln.strip() for ln in (folder / f"{name}.commands.txt").read_text().splitlines()]
        assert [c.strip() for c in by_name[name].commands] == pushed
        played = rp.played(name)
        assert_armed_before_push(played, "configure terminal revert timer 2", pushed[0])
        assert played.index("configure confirm") > played.index(pushed[-1])
    assert "ping 10.10.10.10 source 10.20.0.1" in rp.played("dist-gerunggang")


def test_ios_without_archive_cannot_be_armed(tmp_path: Path, host_key: paramiko.PKey) -> None:
    with replay(tmp_path, host_key, "cisco_ios", "noarchive", Platform.CISCO_IOS, Platform.CISCO_IOS) as rp:
        driver = open_driver(rp.inventory.devices["dist-gerunggang"], rp.creds)
        driver.open()
        try:
            with pytest.raises(DeviceError, match="revert timer needs the archive feature"):
                driver.arm(120)
        finally:
            driver.close()
        rp.assert_played_whole()


def test_a_changed_command_sequence_fails_the_replay_loudly(tmp_path: Path, host_key: paramiko.PKey) -> None:
    """The cassette arms a 2-minute timer; a deploy asking for 3 minutes is caught, and stops."""
    with replay(tmp_path, host_key, "cisco_ios", "deploy", Platform.CISCO_IOS, Platform.CISCO_IOS) as rp:
        factory, check = reachability(routed_plan(), open_driver)
        report = deploy(
            routed_plan(),
            rp.inventory,
            rp.creds,
            driver_factory=factory,
            backups=tmp_path / "b",
            confirm_seconds=180,
            post_check=check,
        )
        errors = [e for d in rp.devices.values() for e in d.errors]
    assert not report.ok and "cannot arm the revert timer" in report.error
    assert (
        "unexpected cmd 'configure terminal revert timer 3', expected 'configure terminal revert timer 2'"
        in (" ".join(errors))
    )
    assert all(not c.startswith("ip ") for d in rp.devices.values() for c in d.played)  # nothing pushed


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.ARISTA_EOS])
def test_trunk_line_of_the_access_switch_is_found_after_the_push(platform: Platform) -> None:
    intended = (FIXTURES / platform.value / f"render_opd_{platform.value}" / "sw-dinkes.txt").read_text()
    indent = "   " if platform is Platform.ARISTA_EOS else " "
    running = (
        f"hostname sw-dinkes\ninterface eth0\n{indent}switchport mode trunk\n"
        f"{indent}switchport trunk allowed vlan 1,100\nend\n"
    )
    left = diff_device("sw-dinkes", platform, running, intended).commands
    assert not [c for c in left if "allowed vlan" in c]  # VLAN 100 is in the printed list: nothing to send


def test_ios_wrong_host_key_is_refused(tmp_path: Path, host_key: paramiko.PKey) -> None:
    with replay(tmp_path, host_key, "cisco_ios", "deploy", Platform.CISCO_IOS, Platform.CISCO_IOS) as rp:
        other = new_host_key(tmp_path / "other")
        (tmp_path / "known_hosts").write_text(
            "".join(
                f"[127.0.0.1]:{d.port} {other.get_name()} {other.get_base64()}\n" for d in rp.devices.values()
            )
        )
        driver = open_driver(rp.inventory.devices["dist-gerunggang"], rp.creds)
        with pytest.raises(HostKeyError, match=r"dist-gerunggang: .*host key"):
            driver.open()
        assert rp.devices["dist-gerunggang"].sessions == 0
        assert rp.devices["dist-gerunggang"].played == []


def test_ios_rejected_line_rolls_every_router_back_to_its_backup(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    with replay(tmp_path, host_key, "cisco_ios", "reject", Platform.CISCO_IOS, Platform.CISCO_IOS) as rp:
        report = run_deploy(rp, routed_plan(), tmp_path)
        rp.assert_played_whole()
    assert not report.ok
    assert (
        "dist-gerunggang: rejected the change: 'ip address 10.20.0.1 255.255.255.128':"
        " % 10.20.0.0 overlaps with Vlan20" in report.error
    )
    states = {d.device: (d.state, d.verified) for d in report.devices}
    assert states == {"core-diskominfo": ("rolled_back", True), "dist-gerunggang": ("rolled_back", True)}
    for name in ROUTED:
        played = rp.played(name)
        assert "configure confirm" not in played
        assert played.index("configure terminal revert timer 2") < played.index("configure revert now")


# --- MikroTik RouterOS (Netmiko over SSH, scheduler + undo script revert) ----------------------

ROS = FIXTURES / "mikrotik_routeros"
ROS_ROUTE = "/ip route add comment=SPL-2026-00001 dst-address=10.20.0.0/25 gateway=10.255.0.6"
ROS_SCRIPT = "/system script add name=sipelangi-revert policy=read,write,policy,test source="
ROS_TIMER = "/system scheduler add name=sipelangi-revert start-date=2026-01-05 start-time=09:14:44"


def core_only_plan() -> Any:
    """The Dinkes plan's part on the core router: the route to the OPD subnet."""
    return golden.PLAN.model_copy(update={"ports": ()})


def routeros_deploy(
    tmp_path: Path, host_key: paramiko.PKey, case: str, plan: Any
) -> tuple[DeployReport, Replay]:
    """``deploy`` of ``plan`` over the RouterOS case ``case`` (an Arista access switch), every
    recorded exchange played."""
    ros, eos = Platform.MIKROTIK_ROUTEROS, Platform.ARISTA_EOS
    with replay(tmp_path, host_key, "mikrotik_routeros", case, ros, eos) as rp:
        report = run_deploy(rp, plan, tmp_path)
        rp.assert_played_whole()
    return report, rp


def test_routeros_arms_the_routers_timer_before_the_push_and_confirm_removes_it(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    ros = Platform.MIKROTIK_ROUTEROS
    with replay(tmp_path, host_key, "mikrotik_routeros", "confirm", ros, Platform.ARISTA_EOS) as rp:
        drv = open_driver(rp.inventory.devices["core-diskominfo"], rp.creds)
        assert isinstance(drv, RouterOSDriver)
        drv.open()
        try:
            running = drv.get_config()
            intended = (ROS / "render_opd_mikrotik_routeros" / "core-diskominfo.txt").read_text()
            commands = diff_device("core-diskominfo", ros, running, intended).commands
            assert commands == (ROS_ROUTE,)
            drv.arm(120)
            drv.push(commands)
            assert diff_device("core-diskominfo", ros, drv.get_config(), intended).commands == ()
            drv.ping("10.10.10.10", source="10.255.0.5")
            drv.confirm()
        finally:
            drv.close()
        rp.assert_played_whole()
    played = rp.played("core-diskominfo")
    timer = next(i for i, c in enumerate(played) if c.startswith(ROS_TIMER))  # clock 09:12:44 + 120 s
    script = next(i for i, c in enumerate(played) if c.startswith(ROS_SCRIPT))
    assert timer < script < played.index(ROS_ROUTE)
    assert played[script].endswith(f'source="{ROS_UNDO}"')  # the router can undo the push alone
    assert played.index(ROS_ROUTE) < played.index("/system scheduler remove [find name=sipelangi-revert]")
    assert not [c for c in played if "backup" in c or "reboot" in c or "reset" in c]


ROS_UNDO = "/ip route remove [find comment=SPL-2026-00001 dst-address=10.20.0.0/25 gateway=10.255.0.6]"


def test_routeros_reads_the_earlier_value_the_export_does_not_show_before_the_push(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    """``/ip dns servers`` is empty on this router, so ``/export`` does not print it: the diff names
    it (``earlier``), the driver reads it (``/ip dns export verbose``) before sending anything, the
    router's undo script restores it, and so does the driver's rollback."""
    ros = Platform.MIKROTIK_ROUTEROS
    with replay(tmp_path, host_key, "mikrotik_routeros", "earlier", ros, Platform.ARISTA_EOS) as rp:
        drv = open_driver(rp.inventory.devices["core-diskominfo"], rp.creds)
        assert isinstance(drv, RouterOSDriver)
        drv.open()
        try:
            running = drv.get_config()
            diff = diff_device("core-diskominfo", ros, running, "/ip dns set servers=10.10.10.53\n")
            assert diff.commands == ("/ip dns set servers=10.10.10.53",)
            assert diff.rollback == ()
            assert [str(e) for e in diff.earlier] == ["/ip dns set servers=(its value before the push)"]
            drv.arm(120)
            drv.push(diff.commands)
            drv.rollback()
        finally:
            drv.close()
        rp.assert_played_whole()
    played = rp.played("core-diskominfo")
    script = next(i for i, c in enumerate(played) if c.startswith(ROS_SCRIPT))
    assert played.index("/ip dns export verbose") < script < played.index("/ip dns set servers=10.10.10.53")
    assert played[script].endswith('source="/ip dns set servers=\\"\\""')
    assert played.index("/ip dns set servers=10.10.10.53") < played.index('/ip dns set servers=""')


def test_routeros_correct_push_passes_the_post_push_check_and_is_confirmed(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    report, _ = routeros_deploy(tmp_path, host_key, "deploy", core_only_plan())
    assert report.ok, report.error
    [result] = report.devices
    assert result.state == "confirmed"
    assert result.commands == (ROS_ROUTE,)


def test_routeros_gateway_and_core_deploy_with_the_routers_undo_script_and_confirm(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    report, rp = routeros_deploy(tmp_path, host_key, "gateway", routed_plan())
    assert report.ok, report.error
    by_name = {d.device: d for d in report.devices}
    assert {n: d.state for n, d in by_name.items()} == dict.fromkeys(ROUTED, "confirmed")
    gateway = by_name["dist-gerunggang"].commands
    assert gateway[0].startswith("/interface vlan add ") and len(gateway) == 18
    played = rp.played("dist-gerunggang")
    script = next(i for i, c in enumerate(played) if c.startswith(ROS_SCRIPT))
    assert script < played.index(gateway[0])
    assert played[script].count(" remove [find ") == 18  # one undo per pushed item
    assert "/ping 10.10.10.10 src-address=10.20.0.1 count=3" in played


def test_routeros_wrong_push_fails_the_check_and_is_undone_by_command_without_reboot(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    report, rp = routeros_deploy(tmp_path, host_key, "rollback", core_only_plan())
    assert not report.ok
    assert "post-check failed" in report.error and "still missing" in report.error
    [result] = report.devices
    assert (result.state, result.verified) == ("rolled_back", True)
    played = rp.played("core-diskominfo")
    undo = "/ip route remove [find comment=SPL-2026-00001 disabled=yes dst-address=10.20.0.0/25 gateway="
    undo += "10.255.0.6]"
    assert played.index(ROS_ROUTE) < played.index(undo)
    assert not [c for c in played if "backup" in c or "reboot" in c or "reset" in c]


def test_routeros_rejected_line_rolls_back_and_disarms(tmp_path: Path, host_key: paramiko.PKey) -> None:
    report, rp = routeros_deploy(tmp_path, host_key, "reject", core_only_plan())
    assert not report.ok
    assert "expected end of command (line 1 column 58)" in report.error
    [result] = report.devices
    assert (result.state, result.verified) == ("rolled_back", True)
    played = rp.played("core-diskominfo")
    assert next(i for i, c in enumerate(played) if c.startswith(ROS_TIMER)) < played.index(ROS_ROUTE)


def test_routeros_gateway_config_can_be_diffed() -> None:
    intended = (ROS / "render_opd_mikrotik_routeros" / "dist-gerunggang.txt").read_text()
    running = (FIXTURES / "diff" / "mikrotik_routeros" / "export.txt").read_text()
    assert diff_device("dist-gerunggang", Platform.MIKROTIK_ROUTEROS, running, intended).changed


# --- Arista EOS (napalm over eAPI/HTTPS, configuration session commit timer) -------------------

EOS_TIMER = "configure session <session> commit timer 00:02:00"


@pytest.fixture
def eos_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The replay's CA, trusted the way an operator trusts a device CA: SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    return tmp_path / "ca.pem"


def test_eos_deploy_loads_a_session_commits_with_timer_verifies_pings_and_confirms(
    tmp_path: Path, host_key: paramiko.PKey, eos_ca: Path
) -> None:
    eos = Platform.ARISTA_EOS
    with replay(tmp_path, host_key, "arista_eos", "deploy", eos, eos) as rp:
        report = run_deploy(rp, routed_plan(), tmp_path)
        rp.assert_played_whole()
    assert report.ok, report.error
    assert {d.device: d.state for d in report.devices} == dict.fromkeys(ROUTED, "confirmed")
    for name in ROUTED:
        played = rp.played(name)
        first_line = next(c for c in played if c.startswith(("ip ", "interface ")))
        assert played.index("configure session <session>") < played.index(first_line)
        assert (
            played.index(first_line)
            < played.index(EOS_TIMER)
            < played.index("configure session <session> commit")
        )
    assert "ping 10.10.10.10 timeout 2 size 100 repeat 5 source 10.20.0.1" in rp.played("dist-gerunggang")


def test_eos_rejected_line_aborts_the_session_and_rolls_the_other_device_back(
    tmp_path: Path, host_key: paramiko.PKey, eos_ca: Path
) -> None:
    eos = Platform.ARISTA_EOS
    with replay(tmp_path, host_key, "arista_eos", "reject", eos, eos) as rp:
        report = run_deploy(rp, routed_plan(), tmp_path)
        rp.assert_played_whole()
    assert not report.ok
    assert "overlaps with existing subnet of interface Vlan20" in report.error
    assert {d.device: (d.state, d.verified) for d in report.devices} == {
        "core-diskominfo": ("rolled_back", True),
        "dist-gerunggang": ("rolled_back", True),
    }
    assert EOS_TIMER not in rp.played("dist-gerunggang")
    core = rp.played("core-diskominfo")
    assert core.index(EOS_TIMER) < core.index("configure session <session> abort")


def test_eos_certificate_from_another_ca_is_refused(tmp_path: Path, host_key: paramiko.PKey) -> None:
    eos = Platform.ARISTA_EOS
    with replay(tmp_path, host_key, "arista_eos", "deploy", eos, eos) as rp:
        driver = open_driver(rp.inventory.devices["dist-gerunggang"], rp.creds)
        with pytest.raises(DeviceError, match=r"dist-gerunggang: cannot connect .*CERTIFICATE_VERIFY_FAILED"):
            driver.open()
        assert rp.played("dist-gerunggang") == []


# --- Juniper Junos (napalm → PyEZ → ncclient, NETCONF over SSH, commit confirmed) --------------


def test_junos_deploy_loads_commits_confirmed_verifies_pings_and_confirms(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    junos = Platform.JUNIPER_JUNOS
    with replay(tmp_path, host_key, "juniper_junos", "deploy", junos, Platform.ARISTA_EOS) as rp:
        report = run_deploy(rp, routed_plan(), tmp_path)
        rp.assert_played_whole()
    assert report.ok, report.error
    assert {d.device: d.state for d in report.devices} == dict.fromkeys(ROUTED, "confirmed")
    for name in ROUTED:
        played = rp.played(name)
        # the change becomes active only through "commit confirmed 2"; the plain commit confirms it
        assert played.count("commit-configuration") == 2
        assert played.index("load-configuration") < played.index("commit-configuration")
    assert "command" in rp.played("dist-gerunggang")  # ping from the OPD gateway address


def test_junos_refused_commit_activates_nothing_and_rolls_the_other_router_back(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    junos = Platform.JUNIPER_JUNOS
    with replay(tmp_path, host_key, "juniper_junos", "reject", junos, Platform.ARISTA_EOS) as rp:
        report = run_deploy(rp, routed_plan(), tmp_path)
        rp.assert_played_whole()
    assert not report.ok
    assert (
        "dist-gerunggang: commit with revert timer: Overlapping subnet is configured under eth2.0"
        in report.error
    )
    assert {d.device: (d.state, d.verified) for d in report.devices} == {
        "core-diskominfo": ("rolled_back", True),
        "dist-gerunggang": ("rolled_back", True),
    }


def test_junos_wrong_host_key_is_refused(tmp_path: Path, host_key: paramiko.PKey) -> None:
    junos = Platform.JUNIPER_JUNOS
    with replay(tmp_path, host_key, "juniper_junos", "deploy", junos, Platform.ARISTA_EOS) as rp:
        other = new_host_key(tmp_path / "other")
        port = rp.devices["dist-gerunggang"].port
        (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{port} {other.get_name()} {other.get_base64()}\n")
        driver = open_driver(rp.inventory.devices["dist-gerunggang"], rp.creds)
        with pytest.raises(HostKeyError, match=r"dist-gerunggang: .*host key"):
            driver.open()
        driver.close()
        assert rp.played("dist-gerunggang") == []
