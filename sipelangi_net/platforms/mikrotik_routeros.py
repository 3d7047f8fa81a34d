"""MikroTik RouterOS (routers): Netmiko, the router's scheduler undoes an unconfirmed push;
replayed SSH sessions and real public ``/export`` output."""

from __future__ import annotations

from types import MappingProxyType

from sipelangi_net.platforms.common import REDACTED
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

SECRET_KEYS = (
    "wpa-pre-shared-key",
    "wpa2-pre-shared-key",
    "passphrase",
    "password",
    "secret",
    "ipsec-secret",
    "shared-secret",
    "auth-key",
    "authentication-key",
    "tcp-md5-key",
    "authentication-password",
    "encryption-password",
    "private-key",
    "pre-shared-key",
)
"""``key=value`` attributes whose value is a secret."""

REDACT = ((rf"(?<![\w-])((?:{'|'.join(SECRET_KEYS)})=)(\"(?:[^\"\\\n]|\\.)*\"|[^\s\"]+)", rf"\1{REDACTED}"),)
REDACT_BLOCKS = (
    # every ``name=`` inside the ``/snmp community`` section: the community string itself
    (
        r"^(/snmp community\b[^\n]*?(?:\n(?!/)[^\n]*?)*?\sname=)(?!\*{8})(\"[^\"\n]*\"|[^\s\"]+)",
        rf"\1{REDACTED}",
    ),
)

BRIDGE_PORTS = "/interface bridge port print terse without-paging"
BRIDGE_VLANS = "/interface bridge vlan print terse without-paging"
"""The bridge's ports (``pvid``, ``frame-types``) and its VLAN table (``tagged``): no ntc-templates
template reads them; :func:`sipelangi_net.analysis.vendor_facts.terse_rows` does (named, not
imported: this package imports no stage)."""

FEATURES = (
    ("hostname", r"^/system identity"),
    ("banner", r"^/system note"),
    ("ntp", r"^/system ntp"),
    ("dns", r"^/ip dns"),
    ("logging", r"^/system logging"),
    ("snmp", r"^/snmp"),
    ("aaa", r"^/(user|radius)( |$)"),
    ("interfaces", r"^/(interface|ip address)"),
    ("static_routes", r"^/ip route"),
    ("access_lists", r"^/ip firewall"),
)

SPEC = PlatformSpec(
    platform=Platform.MIKROTIK_ROUTEROS,
    kind="router",
    display_name="MikroTik RouterOS",
    netmiko_device_type="mikrotik_routeros",
    napalm_driver=None,
    verified_on="fixtures",
    verified=(
        "replayed SSH sessions only: facts, `provision --dry-run`, deploy/rollback, compliance;"
        " diff round-trips against real public `/export` output (same)"
    ),
    config=ConfigSpec(
        command="/export", format="routeros", normaliser="sipelangi_net.change.push:normalise_routeros"
    ),
    deploy=DeploySpec(
        driver="routeros",
        driven_by=(
            "Netmiko `mikrotik_routeros`; router scheduler runs the push's undo script unless confirmed"
            " (no reboot)"
        ),
    ),
    facts=FactsSpec(
        commands=(
            "/interface print terse without-paging",
            "/ip address print",
            "/ip route print terse",
            BRIDGE_PORTS,
            BRIDGE_VLANS,
        ),
        parser="sipelangi_net.analysis.vendor_facts:parse_routeros",
        templates=MappingProxyType(
            {
                "/interface print terse without-paging": (
                    "mikrotik_routeros_interface_print_terse_without-paging"
                ),
                "/ip address print": "mikrotik_routeros_ip_address_print",
                "/ip route print terse": "mikrotik_routeros_ip_route_print_terse",
            }
        ),
        untemplated=(BRIDGE_PORTS, BRIDGE_VLANS),
        error_lines=("bad command name", "syntax error", "expected end of command", "failure:"),
    ),
    diff=DiffSpec(
        differ="sipelangi_net.change.diff:diff_hier",
        driver="sipelangi_net.change.diff:HConfigDriverRouterOS",
        indented=False,
        kept_sections=("/",),
        refused_commands=(
            (r"^no ", "RouterOS cannot undo this line by a command; give its intended value instead"),
        ),
        item_key="sipelangi_net.change.routeros_text:item_key",
        one_line=True,
    ),
    compliance=ComplianceSpec(
        baseline="mikrotik_routeros/baseline.j2",
        features=FEATURES,
        policy_only=True,
        uncompared_lines=r"^/user add ",
        uncompared_values=r" (authentication-password|encryption-password|secret)=(\"[^\"]*\"|\S*)",
    ),
    redact=RedactSpec(own=REDACT, blocks=REDACT_BLOCKS),
    templates=TemplateSpec(tagged_gateway=True, trunk_uplink=True),
)
