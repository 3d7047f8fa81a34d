"""Arista EOS (switches): NAPALM over eAPI, configuration sessions; replayed eAPI only."""

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
    platform=Platform.ARISTA_EOS,
    kind="switch",
    display_name="Arista EOS",
    netmiko_device_type="arista_eos",
    napalm_driver="eos",
    verified_on="fixtures",
    verified="replayed SSH (facts, compliance) and eAPI (deploy/rollback) only; `provision --dry-run` (same)",
    config=ConfigSpec(command="show running-config", format="cli"),
    deploy=DeploySpec(
        driver="napalm",
        driven_by="NAPALM `eos` over eAPI (HTTPS); configuration session `commit timer`",
        napalm_transport="eapi",
    ),
    facts=FactsSpec(
        commands=("show interfaces", "show interfaces status", "show ip route"),
        parser="sipelangi_net.analysis.vendor_facts:parse_eos",
        templates=MappingProxyType(
            {
                "show interfaces": "arista_eos_show_interfaces",
                "show interfaces status": "arista_eos_show_interfaces_status",
                "show ip route": "arista_eos_show_ip_route",
            }
        ),
        error_lines=("% ",),
    ),
    diff=DiffSpec(
        differ="sipelangi_net.change.diff:diff_hier",
        hier_platform="ARISTA_EOS",
        single_valued=(interface("description "), interface("switchport mode ")),
        ends_with_end=True,
        vlan_lists=True,
        negation_last_wins=True,
        last_wins=((("startswith", "hostname "),), interface("description ")),
        hidden_defaults=(interface("no shutdown"), interface("switchport mode access")),
    ),
    compliance=ComplianceSpec(
        baseline="arista_eos/baseline.j2",
        features=CLI_FEATURES,
        policy_only=True,
        uncompared_lines=(
            r"^(username |enable (secret|password) |aaa root |snmp-server user |(radius|tacacs)-server key )"
        ),
        uncompared_values=r" key \d+ \S+",
    ),
    redact=RedactSpec(napalm="EOS_SANITIZE_FILTERS", own=CISCO_LIKE_REDACT),
    templates=TemplateSpec(tagged_gateway=True, trunk_uplink=True, port_names=CLI_PORT_NAMES),
)
