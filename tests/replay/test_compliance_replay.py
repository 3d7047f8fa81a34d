"""`compliance` over a mixed inventory of all six platforms, collected over replayed SSH sessions.

Real Nornir + Netmiko (each platform's own device type, strict host keys) read the running
config of ten replayed devices: FRR and Open vSwitch recorded on the lab, and for each vendor
platform one device running the city policy and one that drifted from it (public device
configs: see tests/fixtures/<platform>/compliance/SOURCE.md). Every device gets a verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance
from sipelangi_net.compliance.run import run_compliance
from sipelangi_net.inventory import load_inventory
from tests.replay.replay_ssh import ReplayDevice, load_cassette, replay_credentials
from tests.replay.replaying import FIXTURES, new_host_key, replay_problems, replayed_inventory, settle

MIXED = {
    "core-diskominfo": "frr",
    "sw-dinkes": "ovs",
    "dist-gerunggang": "cisco_ios",
    "dist-tamansari": "cisco_ios",
    "sw-bappeda": "arista_eos",
    "sw-disdukcapil": "arista_eos",
    "dist-bukitintan": "juniper_junos",
    "sw-kec-bukitintan": "juniper_junos",
    "sw-kec-gerunggang": "mikrotik_routeros",
    "sw-dc-diskominfo": "mikrotik_routeros",
}
"""The shipped inventory's ten devices, six platforms: device → platform."""
COMPLIANT = {
    "core-diskominfo",
    "sw-dinkes",
    "dist-gerunggang",
    "sw-bappeda",
    "dist-bukitintan",
    "sw-kec-gerunggang",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ComplianceReport, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("mixed")
    key = new_host_key(tmp / "key")
    devices = {
        name: ReplayDevice(name, load_cassette(FIXTURES / platform / "compliance" / f"{name}.yaml"), key)
        for name, platform in MIXED.items()
    }
    for device in devices.values():
        device.start()
    try:
        known_hosts = tmp / "known_hosts"
        known_hosts.write_text("".join(d.known_hosts_line() for d in devices.values()))
        hosts = {
            name: {"platform": platform, "hostname": "127.0.0.1", "port": devices[name].port}
            for name, platform in MIXED.items()
        }
        inventory_dir = replayed_inventory(tmp / "inventory", hosts)
        inventory = load_inventory(inventory_dir)
        got = run_compliance(inventory_dir, inventory, replay_credentials(known_hosts), [], workers=4)
        settle(devices.values())
        yield got, devices
    finally:
        for device in devices.values():
            device.stop()


def _device(report: ComplianceReport, name: str) -> DeviceCompliance:
    return next(d for d in report.devices if d.device == name)


def test_every_device_of_the_mixed_inventory_gets_a_verdict(
    report: tuple[ComplianceReport, dict[str, Any]],
) -> None:
    got, devices = report
    assert replay_problems(devices.values()) == ([], {})
    verdicts = {d.device: (d.platform, d.status) for d in got.devices}
    assert verdicts == {
        name: (platform, "compliant" if name in COMPLIANT else "drift") for name, platform in MIXED.items()
    }


@pytest.mark.parametrize(
    ("device", "feature", "missing", "extra"),
    [
        ("dist-tamansari", "hostname", "hostname dist-tamansari", "hostname CSR1"),
        (
            "dist-tamansari",
            "aaa",
            "aaa authentication login default group radius local",
            "aaa authentication login default local",
        ),
        ("sw-disdukcapil", "aaa", "radius-server host 10.10.10.49", "aaa authorization exec default local"),
        (
            "sw-kec-bukitintan",
            "hostname",
            "set system host-name sw-kec-bukitintan",
            "set system host-name srx4",
        ),
        (
            "sw-dc-diskominfo",
            "ntp",
            "  set enabled=yes",
            "  set enabled=no primary-ntp=0.0.0.0 secondary-ntp=0.0.0.0",
        ),
    ],
)
def test_the_drifted_devices_name_their_missing_and_extra_lines(
    report: tuple[ComplianceReport, dict[str, Any]], device: str, feature: str, missing: str, extra: str
) -> None:
    found = {f.name: f for f in _device(report[0], device).features}
    assert missing in found[feature].missing
    assert extra in found[feature].extra


@pytest.mark.parametrize(
    "device", ["dist-tamansari", "sw-disdukcapil", "sw-kec-bukitintan", "sw-dc-diskominfo"]
)
def test_every_policy_feature_drifts_on_a_device_without_the_policy(
    report: tuple[ComplianceReport, dict[str, Any]], device: str
) -> None:
    drifted = {f.name for f in _device(report[0], device).drifted}
    assert {"ntp", "dns", "logging", "snmp", "aaa", "banner"} <= drifted
