"""Platforms are data: one enum, one registry.

Adding a platform means adding a row here and a template folder under
``templates/<platform>/``; nothing in the pipeline branches on the platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Platform(StrEnum):
    FRR = "frr"
    OVS = "ovs"
    CISCO_IOS = "cisco_ios"
    MIKROTIK_ROUTEROS = "mikrotik_routeros"
    ARISTA_EOS = "arista_eos"
    JUNIPER_JUNOS = "juniper_junos"


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """How a platform is driven and where it was verified."""

    kind: Literal["router", "switch"]
    netmiko_device_type: str
    napalm_driver: str | None
    verified_on: Literal["lab", "fixtures"]
    """``lab``: real software in the project's lab; ``fixtures``: replayed sessions only."""
    running_config_command: str
    deploy_driver: Literal["lab", "napalm", "ios", "routeros"] = "lab"
    """Which deploy driver of sipelangi_net.drivers.registry drives it."""


PLATFORMS: dict[Platform, PlatformSpec] = {
    Platform.FRR: PlatformSpec(
        kind="router",
        netmiko_device_type="cisco_ios",
        napalm_driver=None,
        verified_on="lab",
        running_config_command="show running-config",
    ),
    Platform.OVS: PlatformSpec(
        kind="switch",
        netmiko_device_type="ovs_linux",
        napalm_driver=None,
        verified_on="lab",
        running_config_command="ovs-vsctl show",
    ),
    Platform.CISCO_IOS: PlatformSpec(
        kind="router",
        netmiko_device_type="cisco_ios",
        napalm_driver="ios",
        verified_on="fixtures",
        running_config_command="show running-config",
        deploy_driver="ios",
    ),
    Platform.MIKROTIK_ROUTEROS: PlatformSpec(
        kind="router",
        netmiko_device_type="mikrotik_routeros",
        napalm_driver=None,
        verified_on="fixtures",
        running_config_command="/export",
        deploy_driver="routeros",
    ),
    Platform.ARISTA_EOS: PlatformSpec(
        kind="switch",
        netmiko_device_type="arista_eos",
        napalm_driver="eos",
        verified_on="fixtures",
        running_config_command="show running-config",
        deploy_driver="napalm",
    ),
    Platform.JUNIPER_JUNOS: PlatformSpec(
        kind="router",
        netmiko_device_type="juniper_junos",
        napalm_driver="junos",
        verified_on="fixtures",
        running_config_command="show configuration | display set",
        deploy_driver="napalm",
    ),
}

LAB_PLATFORMS = frozenset(p for p, spec in PLATFORMS.items() if spec.verified_on == "lab")


def spec_for(platform: Platform) -> PlatformSpec:
    return PLATFORMS[platform]
