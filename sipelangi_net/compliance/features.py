"""Config features as data: which lines belong to which feature, per platform.

Like Nautobot Golden Config's "compliance rules", a feature is a name and the top-level lines
it owns (a regex on the line, ``no`` stripped, so a remediation ``no ip route ...`` belongs to
the same feature as ``ip route ...``). The first matching feature wins; ``other`` takes the
rest, so no line is ever left unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sipelangi_net.platforms import Platform

OTHER = "other"


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    pattern: re.Pattern[str]
    """Matches the top-level line (without a leading ``no``) of the lines the feature owns."""


def _features(*rows: tuple[str, str]) -> tuple[Feature, ...]:
    return tuple(Feature(name, re.compile(pattern)) for name, pattern in rows)


CLI_FEATURES = _features(
    ("hostname", r"^(hostname|domainname|ip domain[- ]name|dns domain|system host-name) "),
    ("banner", r"^banner "),
    ("logging", r"^(log|logging)( |$)"),
    ("ntp", r"^(ntp|clock|set system ntp) "),
    ("dns", r"^(ip name-server|ip domain[- ]lookup|ip name server|set system name-server)"),
    ("snmp", r"^(snmp-server|set snmp) "),
    ("aaa", r"^(aaa|username|enable|password|line|tacacs-server|radius-server|tacacs|radius)( |$)"),
    ("services", r"^(service|ip(v6)? forwarding|ip routing|ipv6 unicast-routing)( |$)"),
    ("interfaces", r"^(interface|set interfaces) "),
    ("static_routes", r"^(ip(v6)? route|set routing-options static) "),
    ("routing", r"^(router|vrf|route-map|ip prefix-list|ipv6 prefix-list|segment-routing|bfd)( |$)"),
    ("access_lists", r"^(ip access-list|access-list|ipv6 access-list) "),
)

JUNOS_FEATURES = _features(
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

ROUTEROS_FEATURES = _features(
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

OVS_FEATURES = _features(
    ("vlans", r"^(port \S+ |ovs-vsctl .* )'?tag="),
    ("port_descriptions", r"^(port \S+ |ovs-vsctl .* )(external_ids:)?description"),
)

FEATURES: Mapping[Platform, tuple[Feature, ...]] = MappingProxyType(
    {
        Platform.FRR: CLI_FEATURES,
        Platform.CISCO_IOS: CLI_FEATURES,
        Platform.ARISTA_EOS: CLI_FEATURES,
        Platform.JUNIPER_JUNOS: JUNOS_FEATURES,
        Platform.MIKROTIK_ROUTEROS: ROUTEROS_FEATURES,
        Platform.OVS: OVS_FEATURES,
    }
)
"""Per platform: its features in matching order (``other`` is implied, last)."""


def feature_of(platform: Platform, line: str) -> str:
    """The feature that owns the top-level ``line`` (a leading ``no`` is ignored; Junos: a
    ``delete`` is read as the ``set`` it removes)."""
    text = line.strip()
    text = text.removeprefix("no ") if text.startswith("no ") else text
    text = "set " + text.removeprefix("delete ") if text.startswith("delete ") else text
    for feature in FEATURES[platform]:
        if feature.pattern.search(text):
            return feature.name
    return OTHER


def feature_names(platform: Platform) -> tuple[str, ...]:
    return (*(f.name for f in FEATURES[platform]), OTHER)
