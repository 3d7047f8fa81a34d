"""Parts shared by several platforms' specs: the Cisco-like CLI's features, secret rules and
port names."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

REDACTED = "********"
"""What every secret becomes (the keyword before it stays)."""
_R = REDACTED
VALUE = r"(?:\"[^\"\n]*\"|[^\s\"]+)"
"""A word, or a quoted string."""

CLI_FEATURES = (
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
"""Compliance features of the Cisco-like CLIs (FRR, IOS, EOS): (feature, regex on a top-level line)."""

CISCO_LIKE_REDACT = (
    # FRR/IOS bare passwords (``password zebra``, ``enable password zebra``), with an optional type
    (r"^(\s*(?:enable )?(?:password|secret)(?: level \d+)?(?: \d{1,2}| sha512)?) \S+\s*$", rf"\1 {_R}"),
    (r"^(\s*username \S+(?: \S+)*? (?:password|secret)(?: \d{1,2}| sha512)?) \S+", rf"\1 {_R}"),
    (r"^(\s*(?:tacacs|radius)-server (?:\S+ )*?key(?: \d{1,2})?) \S+", rf"\1 {_R}"),
    (r"^(\s*(?:crypto )?isakmp key(?: \d{1,2})?) \S+", rf"\1 {_R}"),
    (r"^(\s*ip ospf authentication-key(?: \d{1,2})?) \S+", rf"\1 {_R}"),
    (r"^(\s*(?:ip |ipv6 )?ospf message-digest-key \d+ md5(?: \d{1,2})?) \S+", rf"\1 {_R}"),
    (r"^(\s*(?:\S+ )*?key-string(?: \d{1,2})?) \S+", rf"\1 {_R}"),
    (r"^(\s*(?:\S+ )*?pre-shared-key(?: local| remote)?(?: hex| \d{1,2})?) \S+", rf"\1 {_R}"),
    (r"^(\s*ntp authentication-key \d+ \S+(?: \d{1,2})?) \S+", rf"\1 {_R}"),
    (r"^(\s*neighbor \S+ password(?: \d{1,2})?) \S+", rf"\1 {_R}"),
    (r"^(\s+key(?: \d{1,2}| hexadecimal)) \S+\s*$", rf"\1 {_R}"),
    (r"^(\s*snmp-server user .*? auth (?:md5|sha\S*)) \S+", rf"\1 {_R}"),
    (r"^(\s*snmp-server user .*? priv(?: 3des| des| aes(?: \d+)?)?) \S+", rf"\1 {_R}"),
)
"""Secret rules of ours for the Cisco-like CLIs (FRR/IOS bare passwords, keys, SNMPv3 users)."""

CLI_PORT_NAMES: Mapping[tuple[str, int], str] = MappingProxyType(
    {
        ("tcp", 53): "domain",
        ("udp", 53): "domain",
        ("udp", 67): "bootps",
        ("udp", 68): "bootpc",
        ("udp", 123): "ntp",
        ("tcp", 25): "smtp",
        ("tcp", 80): "www",
    }
)
"""Ports Cisco IOS and Arista EOS print by name in an access list (``TemplateSpec.port_names``)."""
