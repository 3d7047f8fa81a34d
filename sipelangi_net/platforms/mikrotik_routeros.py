"""MikroTik RouterOS (routers): Netmiko, the router's scheduler undoes an unconfirmed push;
replayed SSH sessions and real public ``/export`` output."""

from __future__ import annotations

import re
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
template reads them, :func:`terse_rows` does."""

_TERSE_LINE = re.compile(r"^\s*(?P<index>\d+)(?P<flags>(?:\s+[A-Z]+)*)\s+(?P<pairs>[a-z][a-z0-9-]*=.*)$")
_TERSE_KEY = re.compile(r"(?:^|\s)([a-z][a-z0-9-]*)=")
TERSE_HEADERS = ("Flags:", "Columns:")
"""Lines a ``print`` may start with before its items (not items themselves)."""


def terse_rows(text: str) -> list[dict[str, str]]:
    """The items of a RouterOS ``print terse`` answer: one line each, ``N FLAGS key=value ...``.

    Each row maps its keys to their values (quotes around a value removed) and ``flags`` to the
    item's flag letters (``X`` disabled, ``I`` inactive, ``D`` dynamic, ``H`` hardware offload).
    A value runs to the next `` key=``: RouterOS prints a comment with spaces unquoted. A line
    that is not an item raises :class:`ValueError` naming its number.
    """
    rows: list[dict[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(TERSE_HEADERS):
            continue
        match = _TERSE_LINE.match(line.rstrip())
        if match is None:
            raise ValueError(f"line {lineno} is not a RouterOS terse item")
        pairs = match["pairs"]
        keys = list(_TERSE_KEY.finditer(pairs))
        row = {"flags": "".join(match["flags"].split())}
        for key, following in zip(keys, [*keys[1:], None], strict=True):
            value = pairs[key.end() : following.start() if following else len(pairs)]
            row[key[1]] = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
        rows.append(row)
    return rows


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
