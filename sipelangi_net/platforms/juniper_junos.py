"""Juniper Junos (routers; EX access switches, ELS): NAPALM over NETCONF (PyEZ), ``commit confirmed``;
replayed NETCONF only."""

from __future__ import annotations

from types import MappingProxyType

from sipelangi_net.platforms.common import REDACTED, VALUE
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
)

REDACT = (
    # ``set ... <keyword> "<value>"`` and the curly ``<keyword> "<value>"; ## SECRET-DATA``
    (
        r"^(\s*(?:set\s.*?)?\b(?:encrypted-password|authentication-key|hello-authentication-key|secret"
        r"|simple-password|(?:pre-shared-key|key) (?:ascii-text|hexadecimal)|md5 \d+ key|license keys key))"
        rf" {VALUE}",
        rf"\1 {REDACTED}",
    ),
    (r"^(\s*(?:set\s+)?snmp (?:.* )?(?:community|trap-group)) (\"[^\"\n]*\"|[^\s\";{]+)", rf"\1 {REDACTED}"),
    (r"^(\s*(?:community|trap-group)) (\"[^\"\n]*\"|[^\s\";{]+)(?=\s*[;{])", rf"\1 {REDACTED}"),
)

FEATURES = (
    ("hostname", r"^set system (host-name|domain-name) "),
    ("banner", r"^set system login (message|announcement) "),
    ("logging", r"^set system syslog (host|source-address) "),
    ("ntp", r"^set system ntp "),
    ("dns", r"^set system name-server "),
    ("snmp", r"^set snmp "),
    ("aaa", r"^set system (authentication-order|radius-server|tacplus-server|login|root-authentication) "),
    ("services", r"^set system services "),
    ("interfaces", r"^set interfaces "),
    ("static_routes", r"^set routing-options static "),
    ("routing", r"^set (protocols|policy-options|routing-instances|routing-options) "),
    ("access_lists", r"^set firewall "),
)

SPEC = PlatformSpec(
    platform=Platform.JUNIPER_JUNOS,
    kind="router",
    display_name="Juniper Junos",
    netmiko_device_type="juniper_junos",
    napalm_driver="junos",
    verified_on="fixtures",
    verified=(
        "replayed SSH (facts, compliance) and NETCONF (deploy/rollback) only; `provision --dry-run` (same)"
    ),
    config=ConfigSpec(command="show configuration | display set", format="set"),
    deploy=DeploySpec(
        driver="napalm",
        driven_by="NAPALM `junos` (PyEZ, NETCONF); `commit confirmed`",
        revert_unit=60,
        napalm_transport="pyez",
    ),
    facts=FactsSpec(
        commands=("show interfaces", "show ethernet-switching interfaces"),
        parser="sipelangi_net.analysis.vendor_facts:parse_junos",
        templates=MappingProxyType(
            {
                "show interfaces": "juniper_junos_show_interfaces",
                "show ethernet-switching interfaces": "juniper_junos_show_ethernet-switching_interfaces",
            }
        ),
        error_lines=("error:", "unknown command", "syntax error"),
    ),
    diff=DiffSpec(
        differ="sipelangi_net.change.diff:diff_hier",
        driver="sipelangi_net.change.diff:HConfigDriverJunos",
        single_valued=(
            (("re_search", r"^set (.+) description "),),
            (("startswith", "set system host-name "),),
            (("re_search", r"^set interfaces (\S+) unit (\d+) family ethernet-switching interface-mode "),),
        ),
        indented=False,
        access_members=True,
    ),
    compliance=ComplianceSpec(
        baseline="juniper_junos/baseline.j2",
        features=FEATURES,
        policy_only=True,
        uncompared_lines=r"^set (system (login user|root-authentication) |snmp v3 usm )",
        uncompared_values=r' secret "?[^" ]+"?',
    ),
    redact=RedactSpec(own=REDACT),
    templates=TemplateSpec(tagged_gateway=True, trunk_uplink=True),
)
