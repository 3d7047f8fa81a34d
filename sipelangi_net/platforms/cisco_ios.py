"""Cisco IOS (routers): Netmiko, the IOS archive revert timer; replayed sessions only."""

from __future__ import annotations

from types import MappingProxyType

from sipelangi_net.platforms.common import CISCO_LIKE_REDACT, CLI_FEATURES, CLI_PORT_NAMES
from sipelangi_net.platforms.spec import (
    ComplianceSpec,
    ConfigSpec,
    DeploySpec,
    DiffSpec,
    FactsSpec,
    Platform,
    PlatformSpec,
    RedactSpec,
    TemplateSpec,
    interface,
)

SPEC = PlatformSpec(
    platform=Platform.CISCO_IOS,
    kind="router",
    display_name="Cisco IOS",
    netmiko_device_type="cisco_ios",
    napalm_driver="ios",
    verified_on="fixtures",
    verified=(
        "replayed SSH sessions only: live facts (public ntc-templates output), `provision --dry-run`,"
        " golden files, circular diff tests, deploy/rollback, compliance"
        " ([docs/deploy.md](docs/deploy.md#deploy-drivers-per-platform))"
    ),
    config=ConfigSpec(command="show running-config", format="cli"),
    deploy=DeploySpec(
        driver="ios",
        driven_by="Netmiko `cisco_ios`; IOS archive revert timer (`configure terminal revert timer`)",
    ),
    facts=FactsSpec(
        commands=(
            "show ip interface",
            "show interfaces description",
            "show interfaces switchport",
            "show ip route",
        ),
        parser="sipelangi_net.analysis.vendor_facts:parse_ios",
        templates=MappingProxyType(
            {
                "show ip interface": "cisco_ios_show_ip_interface",
                "show interfaces description": "cisco_ios_show_interfaces_description",
                "show interfaces switchport": "cisco_ios_show_interfaces_switchport",
                "show ip route": "cisco_ios_show_ip_route",
            }
        ),
        error_lines=("% ",),
        headers=MappingProxyType({"show ip route": ("Codes:", "Gateway of last resort")}),
    ),
    diff=DiffSpec(
        differ="sipelangi_net.change.diff:diff_hier",
        hier_platform="CISCO_IOS",
        ends_with_end=True,
        vlan_lists=True,
        negation_last_wins=True,
        last_wins=((("startswith", "hostname "),), interface("description ")),
        hidden_defaults=(interface("no shutdown"),),
    ),
    compliance=ComplianceSpec(
        baseline="cisco_ios/baseline.j2",
        features=CLI_FEATURES,
        policy_only=True,
        uncompared_lines=(
            r"^(username |enable (secret|password) |(radius|tacacs)-server key |\s+key (\d )?\S+$)"
        ),
        uncompared_values=r" key \d+ \S+$",
    ),
    redact=RedactSpec(napalm="CISCO_SANITIZE_FILTERS", own=CISCO_LIKE_REDACT),
    templates=TemplateSpec(tagged_gateway=True, trunk_uplink=True, port_names=CLI_PORT_NAMES),
)
