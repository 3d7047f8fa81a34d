"""Live facts of Cisco IOS, Arista EOS, Juniper Junos and MikroTik RouterOS from their CLI answers.

Each platform answers a few show commands (:data:`IOS_COMMANDS`, ...); every
answer is read by the TextFSM template that networktocode's ntc-templates
keeps for that command (the parsers behind Netmiko's ``use_textfsm``) — RouterOS's bridge
ports and bridge VLANs, which have none, by a ``print terse`` reader
(:func:`terse_rows`) — and
the records become one :class:`~sipelangi_net.analysis.facts_model.DeviceFacts`:

- ``addresses``: every interface the device lists → its IPv4 addresses;
- ``descriptions``: interface descriptions (RouterOS: interface comments);
- ``port_vlans``: switch ports → access VLAN (``None`` on a trunk; RouterOS: the enabled
  ethernet ports of a bridge, their ``pvid``, and trunks: tagged in the bridge's VLAN table);
- ``routes``: static route prefixes (IOS/EOS ``S``, RouterOS ``S`` not dynamic).

Short port names (IOS ``Gi0/1``, EOS ``Et1``) are written out in full
(``GigabitEthernet0/1``), as the inventory names them. Junos unit 0 is read as
its physical port (``ge-0/0/1.0`` → ``ge-0/0/1``, how the templates configure
it); other units keep their name.

The answers are untrusted: an answer that is not text, too long, carries the
device's error line (``% Invalid input``, ``error:``, ``bad command name``), has
a line the strict template does not know, or a value that is not an address,
prefix or VLAN raises :class:`~sipelangi_net.errors.DeviceError` naming the
device and the command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from types import MappingProxyType
from typing import Any

import textfsm  # type: ignore[import-untyped]
from netutils.interface import canonical_interface_name

from sipelangi_net.analysis.facts_model import (
    DeviceFacts,
    check_size,
    excerpt,
    port_name,
    unexpected,
    vlan_list,
)
from sipelangi_net.platforms import PLATFORMS, Platform, spec_for
from sipelangi_net.validate import printable

IOS_COMMANDS = spec_for(Platform.CISCO_IOS).facts.commands
EOS_COMMANDS = spec_for(Platform.ARISTA_EOS).facts.commands
JUNOS_COMMANDS = spec_for(Platform.JUNIPER_JUNOS).facts.commands
ROUTEROS_COMMANDS = spec_for(Platform.MIKROTIK_ROUTEROS).facts.commands

TEMPLATES: Mapping[tuple[Platform, str], str] = MappingProxyType(
    {(p, command): t for p, s in PLATFORMS.items() for command, t in s.facts.templates.items()}
)
"""The ntc-templates template that reads each command's answer (the specs' ``facts.templates``)."""

ERROR_LINES: Mapping[Platform, tuple[str, ...]] = MappingProxyType(
    {p: s.facts.error_lines for p, s in PLATFORMS.items()}
)
"""How each platform's CLI starts a line that refuses the command."""

HEADERS: Mapping[tuple[Platform, str], tuple[str, ...]] = MappingProxyType(
    {(p, command): h for p, s in PLATFORMS.items() for command, h in s.facts.headers.items()}
)
"""For a template that skips lines it does not know: a line one of which every answer holds."""

JUNOS_NO_SWITCHING = "error: the ethernet-switching subsystem is not running"
"""A Junos router's answer to ``show ethernet-switching interfaces``: no switch ports, not an error."""


# --- reading one answer -----------------------------------------------------------------------


def records(device: str, platform: Platform, command: str, answer: object) -> list[dict[str, Any]]:
    """The answer's records as read by the command's ntc-templates template (keys in lower case)."""
    text = _answer_text(device, platform, command, answer)
    headers = HEADERS.get((platform, command), ())
    if headers and text.strip() and not any(line.lstrip().startswith(headers) for line in text.splitlines()):
        raise unexpected(device, command, f"no {' or '.join(map(repr, headers))} line")
    template = TEMPLATES[(platform, command)]
    with (files("ntc_templates") / "templates" / f"{template}.textfsm").open(encoding="utf-8") as fh:
        fsm = textfsm.TextFSM(fh)
    try:
        rows = fsm.ParseTextToDicts(text)
    except textfsm.TextFSMError as exc:
        raise unexpected(
            device, command, f"not readable by ntc-templates {template} ({excerpt(str(exc))})"
        ) from None
    return [{str(k).lower(): v for k, v in row.items()} for row in rows]


def _answer_text(device: str, platform: Platform, command: str, answer: object) -> str:
    """The answer as text, unless it is too long or holds the line of a refused command."""
    text = check_size(device, command, answer)
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip().lower().startswith(ERROR_LINES[platform]):
            raise unexpected(device, command, f"line {lineno}: the device said {excerpt(line.strip())}")
    return text


def _ipv4_interface(device: str, command: str, address: str, prefix: str) -> IPv4Interface:
    try:
        IPv4Address(address)  # a bare address: no '/' smuggled in
        return IPv4Interface(f"{address}/{prefix}")
    except ValueError:
        raise unexpected(device, command, f"bad interface address {excerpt(f'{address}/{prefix}')}") from None


def _network(device: str, command: str, prefix: str) -> IPv4Network:
    try:
        return IPv4Network(prefix, strict=False)
    except ValueError:
        raise unexpected(device, command, f"bad route prefix {excerpt(prefix)}") from None


def _vlan(device: str, command: str, port: str, value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 4094:
        raise unexpected(device, command, f"port {port!r}: bad VLAN {excerpt(value)}")
    return int(value)


@dataclass(slots=True)
class _Facts:
    """What the parse of one device has read so far (mutable, private to one parse)."""

    device: str
    platform: Platform
    addresses: dict[str, list[IPv4Interface]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    port_vlans: dict[str, int | None] = field(default_factory=dict)
    routes: list[IPv4Network] = field(default_factory=list)
    ethernet: set[str] = field(default_factory=set)
    """RouterOS: the interfaces of type ``ether`` (the switch ports a bridge may hold)."""

    def port(self, command: str, name: object, *, spaces: bool = False) -> str:
        return port_name(self.device, command, name, spaces=spaces)

    def address(self, port: str, addr: IPv4Interface | None) -> None:
        known = self.addresses.setdefault(port, [])
        if addr is not None and addr not in known:
            known.append(addr)

    def describe(self, port: str, text: str) -> None:
        if text.strip():
            self.descriptions[port] = printable(text.strip())

    def route(self, network: IPv4Network) -> None:
        if network not in self.routes:
            self.routes.append(network)

    def full_name(self, short: str) -> str:
        """``Gi0/1`` → the interface the device listed in full (``GigabitEthernet0/1``)."""
        listed = {str(canonical_interface_name(name)).lower(): name for name in self.addresses}
        full = str(canonical_interface_name(short))
        return listed.get(full.lower(), full)

    def result(self) -> DeviceFacts:
        return DeviceFacts(
            device=self.device,
            platform=self.platform.value,
            reachable=True,
            addresses=MappingProxyType({p: tuple(a) for p, a in sorted(self.addresses.items())}),
            routes=tuple(self.routes),
            port_vlans=MappingProxyType(dict(sorted(self.port_vlans.items()))),
            descriptions=MappingProxyType(dict(sorted(self.descriptions.items()))),
        )


def _static_routes(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """IOS/EOS ``show ip route``: the prefixes of the ``S`` (static) entries."""
    for row in rows:
        if str(row["protocol"]).split()[:1] in (["S"], ["S*"]):
            facts.route(_network(facts.device, command, f"{row['network']}/{row['prefix_length']}"))


# --- Cisco IOS --------------------------------------------------------------------------------


def _ios_interfaces(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        port = facts.port(command, row["interface"])
        ips, lengths = list(row["ip_address"]), list(row["prefix_length"])
        if len(ips) != len(lengths):
            raise unexpected(facts.device, command, f"interface {port!r}: addresses without a prefix length")
        facts.address(port, None)
        for ip, length in zip(ips, lengths, strict=True):
            facts.address(port, _ipv4_interface(facts.device, command, ip, length))


def _ios_descriptions(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        facts.describe(facts.full_name(facts.port(command, row["port"])), str(row["description"]))


def _ios_switchports(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        port = facts.full_name(facts.port(command, row["interface"]))
        if str(row["switchport"]).lower() != "enabled":
            continue
        access = "access" in str(row["admin_mode"]) or "access" in str(row["mode"])
        facts.port_vlans[port] = (
            _vlan(facts.device, command, port, str(row["access_vlan"])) if access else None
        )


def parse_ios(device: str, answers: Mapping[str, str]) -> DeviceFacts:
    """Facts of a Cisco IOS device from the answers to :data:`IOS_COMMANDS`."""
    facts = _Facts(device, Platform.CISCO_IOS)
    readers: tuple[Callable[[_Facts, str, Iterable[Mapping[str, Any]]], None], ...] = (
        _ios_interfaces,
        _ios_descriptions,
        _ios_switchports,
        _static_routes,
    )
    for command, reader in zip(IOS_COMMANDS, readers, strict=True):
        reader(facts, command, records(device, facts.platform, command, answers[command]))
    return facts.result()


# --- Arista EOS -------------------------------------------------------------------------------


def _eos_interfaces(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        port = facts.port(command, row["interface"])
        address = str(row["ip_address"])
        if address:
            ip, _, length = address.partition("/")
            facts.address(port, _ipv4_interface(facts.device, command, ip, length))
        else:
            facts.address(port, None)
        facts.describe(port, str(row["description"]))


def _eos_status(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """``Vlan`` column: a number is the access VLAN, ``trunk`` a trunk; routed and LAG members are skipped."""
    for row in rows:
        port = facts.full_name(facts.port(command, row["port"]))
        vlan = str(row["vlan_id"])
        if vlan == "trunk":
            facts.port_vlans[port] = None
        elif vlan[:1].isdigit():
            facts.port_vlans[port] = _vlan(facts.device, command, port, vlan)


def parse_eos(device: str, answers: Mapping[str, str]) -> DeviceFacts:
    """Facts of an Arista EOS device from the answers to :data:`EOS_COMMANDS`."""
    facts = _Facts(device, Platform.ARISTA_EOS)
    readers: tuple[Callable[[_Facts, str, Iterable[Mapping[str, Any]]], None], ...] = (
        _eos_interfaces,
        _eos_status,
        _static_routes,
    )
    for command, reader in zip(EOS_COMMANDS, readers, strict=True):
        reader(facts, command, records(device, facts.platform, command, answers[command]))
    return facts.result()


# --- Juniper Junos ----------------------------------------------------------------------------


def _junos_port(name: str) -> str:
    return name.removesuffix(".0")


def _junos_interfaces(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        port = _junos_port(facts.port(command, row["interface"]))
        local, destination = str(row["local"]), str(row["destination"])
        if local and ":" not in local:  # IPv4 only
            facts.address(port, _ipv4_interface(facts.device, command, local, destination.partition("/")[2]))
        else:
            facts.address(port, None)
        facts.describe(port, str(row["description"]))


def _junos_switching(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """One untagged VLAN with a tag: the access VLAN; any tagged member: a trunk."""
    for row in rows:
        port = _junos_port(facts.port(command, row["interface"]))
        tags, tagging = list(row["vlan_id"]), list(row["tagging"])
        if "tagged" in tagging:
            facts.port_vlans[port] = None
        elif len(tags) == 1:
            facts.port_vlans[port] = _vlan(facts.device, command, port, str(tags[0]))
        else:
            facts.port_vlans[port] = None


def parse_junos(device: str, answers: Mapping[str, str]) -> DeviceFacts:
    """Facts of a Juniper Junos device from the answers to :data:`JUNOS_COMMANDS`.

    A router without switching answers :data:`JUNOS_NO_SWITCHING`: no switch ports.
    """
    facts = _Facts(device, Platform.JUNIPER_JUNOS)
    interfaces, switching = JUNOS_COMMANDS
    _junos_interfaces(facts, interfaces, records(device, facts.platform, interfaces, answers[interfaces]))
    answer = answers[switching]
    if not (isinstance(answer, str) and answer.strip() == JUNOS_NO_SWITCHING):
        _junos_switching(facts, switching, records(device, facts.platform, switching, answer))
    return facts.result()


# --- MikroTik RouterOS ------------------------------------------------------------------------


def _routeros_port(facts: _Facts, command: str, name: object) -> str:
    """RouterOS names may hold spaces; ``vlan10@ether2`` (a VLAN on its parent) is ``vlan10``."""
    return facts.port(command, str(name).partition("@")[0] if isinstance(name, str) else name, spaces=True)


def _routeros_interfaces(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        port = _routeros_port(facts, command, row["name"])
        facts.address(port, None)
        facts.describe(port, str(row["comment"]))
        if row["type"] == "ether":
            facts.ethernet.add(port)


def _routeros_addresses(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        port = _routeros_port(facts, command, row["interface"])
        facts.address(port, _ipv4_interface(facts.device, command, str(row["ip"]), str(row["subnet"])))


def _routeros_routes(facts: _Facts, command: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Static routes: ``S`` without ``D`` (dynamic) among the flags; IPv6 routes are skipped."""
    for row in rows:
        flags, prefix = str(row["flags"]), str(row["dst_address"])
        if "S" in flags and "D" not in flags and ":" not in prefix:
            facts.route(_network(facts.device, command, prefix))


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


def terse_records(device: str, command: str, answer: object) -> list[dict[str, str]]:
    """The items of a RouterOS ``print terse`` answer that no ntc-templates template reads."""
    text = _answer_text(device, Platform.MIKROTIK_ROUTEROS, command, answer)
    try:
        return terse_rows(text)
    except ValueError as exc:
        raise unexpected(device, command, str(exc)) from None


def _routeros_bridge_ports(facts: _Facts, command: str, rows: Iterable[Mapping[str, str]]) -> None:
    """Each enabled ethernet bridge port: its ``pvid`` is its access VLAN, unless it admits tagged
    frames only (a trunk). Bridged VLAN, wireless or tunnel interfaces are no switch ports."""
    for row in rows:
        if "interface" not in row or "pvid" not in row:
            raise unexpected(facts.device, command, "a bridge port without interface= or pvid=")
        port = _routeros_port(facts, command, row["interface"])
        if "X" in row["flags"] or port not in facts.ethernet:
            continue
        tagged_only = row.get("frame-types") == "admit-only-vlan-tagged"
        facts.port_vlans[port] = None if tagged_only else _vlan(facts.device, command, port, row["pvid"])


def _routeros_bridge_vlans(facts: _Facts, command: str, rows: Iterable[Mapping[str, str]]) -> None:
    """A bridge port tagged in a VLAN of the bridge's VLAN table is a trunk."""
    for row in rows:
        try:
            vlan_list(row.get("vlan-ids", ""))
        except ValueError as exc:
            raise unexpected(facts.device, command, str(exc)) from None
        if "X" in row["flags"]:
            continue
        for key in ("tagged", "current-tagged"):
            for name in filter(None, row.get(key, "").split(",")):
                port = _routeros_port(facts, command, name)
                if port in facts.port_vlans:
                    facts.port_vlans[port] = None


def parse_routeros(device: str, answers: Mapping[str, str]) -> DeviceFacts:
    """Facts of a MikroTik RouterOS device from the answers to :data:`ROUTEROS_COMMANDS`.

    The interfaces, addresses and routes are read by ntc-templates; the bridge's ports and VLAN
    table (no template) by :func:`terse_records`: the switch ports and their VLANs.
    """
    facts = _Facts(device, Platform.MIKROTIK_ROUTEROS)
    readers: tuple[Callable[[_Facts, str, Iterable[Mapping[str, Any]]], None], ...] = (
        _routeros_interfaces,
        _routeros_addresses,
        _routeros_routes,
        _routeros_bridge_ports,
        _routeros_bridge_vlans,
    )
    for command, reader in zip(ROUTEROS_COMMANDS, readers, strict=True):
        if (facts.platform, command) in TEMPLATES:
            reader(facts, command, records(device, facts.platform, command, answers[command]))
        else:
            reader(facts, command, terse_records(device, command, answers[command]))
    return facts.result()
