"""``fault diagnose``'s device reads over replayed SSH sessions: real Netmiko with strict host keys
on the change engine, FRR and Open vSwitch answering as they do (tests/fixtures/*/diagnose/); a
device that cannot be reached or whose host key is unknown is data on its reading."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sipelangi_net.compliance.intended import intended_configs
from sipelangi_net.faults.diagnose import DeviceReading
from sipelangi_net.faults.path_checks import DeviceReader, read_devices
from sipelangi_net.inventory import load_inventory
from tests.replay.replay_ssh import ReplayDevice, load_cassette, replay_credentials
from tests.replay.replaying import (
    FIXTURES,
    closed_port,
    new_host_key,
    replay_problems,
    replayed_inventory,
    settle,
)

CASSETTES = {"core-diskominfo": "frr", "sw-dinkes": "ovs"}


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DeviceReading]]:
    tmp = tmp_path_factory.mktemp("diagnose")
    key = new_host_key(tmp / "key")
    devices = {
        name: ReplayDevice(name, load_cassette(FIXTURES / platform / "diagnose" / f"{name}.yaml"), key)
        for name, platform in CASSETTES.items()
    }
    stranger = ReplayDevice(
        "sw-bappeda", load_cassette(FIXTURES / "ovs" / "diagnose" / "sw-dinkes.yaml"), key
    )
    for device in (*devices.values(), stranger):
        device.start()
    try:
        known_hosts = tmp / "known_hosts"
        known_hosts.write_text("".join(d.known_hosts_line() for d in devices.values()))  # not sw-bappeda's
        hosts = {name: {"hostname": "127.0.0.1", "port": d.port} for name, d in devices.items()}
        hosts["dist-gerunggang"] = {"hostname": "127.0.0.1", "port": closed_port()}
        hosts["sw-bappeda"] = {"hostname": "127.0.0.1", "port": stranger.port}
        inventory = load_inventory(replayed_inventory(tmp / "inventory", hosts))
        names = [*CASSETTES, "dist-gerunggang", "sw-bappeda"]
        reader = DeviceReader(
            inventory, replay_credentials(known_hosts), intended_configs(inventory, [], devices=names)
        )
        got = read_devices(names, reader)
        settle(devices.values())
        assert replay_problems(devices.values()) == ([], {})
        yield got
    finally:
        for device in (*devices.values(), stranger):
            device.stop()


def test_frr_interfaces_and_config_are_read_over_its_session(readings: dict[str, DeviceReading]) -> None:
    core = readings["core-diskominfo"]
    assert core.error == "" and core.interfaces is not None
    assert core.interfaces["eth0"].up and not core.interfaces["eth1"].admin_up and core.interfaces["eth2"].up
    assert core.compliance is not None and core.compliance.status == "compliant"


def test_ovs_interfaces_and_ports_are_read_over_its_shell(readings: dict[str, DeviceReading]) -> None:
    sw = readings["sw-dinkes"]
    assert sw.error == "" and sw.interfaces is not None
    assert sw.interfaces["eth0"].up and sw.interfaces["eth0"].errors_in == 0
    assert not sw.interfaces["eth1"].link_up
    assert sw.compliance is not None and sw.compliance.status == "compliant"


def test_an_unreachable_device_and_an_unknown_host_key_are_data(readings: dict[str, DeviceReading]) -> None:
    assert (
        "cannot connect" in readings["dist-gerunggang"].error
        or "no answer" in readings["dist-gerunggang"].error
    )
    assert "host key unknown or changed" in readings["sw-bappeda"].error
    assert readings["sw-bappeda"].interfaces is None
