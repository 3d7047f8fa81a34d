"""Live facts for the needs analysis (SOP step 4): what the devices really run.

The SOP asks that availability is checked on the live network, not only in
files: the access port is free, the VLAN is unused, the addresses are not in
use. :func:`gather` logs in to the devices (Nornir + Netmiko, host keys
verified) and sends, per platform, the commands of :data:`SOURCES`:

- ``frr``: ``show running-config`` → interface addresses, descriptions, static routes;
- ``ovs``: ``ovs-vsctl --format=json --columns=name,tag,external_ids list Port``
  → access VLAN tag and description of every port;
- ``cisco_ios``, ``arista_eos``, ``juniper_junos``, ``mikrotik_routeros``: a few
  show commands read by ntc-templates (:mod:`sipelangi_net.analysis.vendor_facts`).

The parsers are pure and treat the answer as untrusted input: anything they
cannot read with certainty raises :class:`~sipelangi_net.errors.DeviceError`
(``unexpected answer to ...``), never another exception. A device that cannot
be reached or answers oddly is data (``reachable=False`` with the reason),
never an exception of :func:`gather`. The values themselves
(:class:`DeviceFacts`, :class:`LiveFacts`) live in
:mod:`sipelangi_net.analysis.facts_model`.

Trunk ports (OVS ``trunks``) are not read: an OVS port's ``tag`` is its
access VLAN, and the lab's switches carry VLANs on untagged uplinks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sipelangi_net.analysis.facts_model import (
    DEFAULT_ROUTE,
    MAX_ANSWER,
    DeviceFacts,
    LiveFacts,
    check_size,
    excerpt,
    port_name,
    unexpected,
)
from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import DeviceError, InventoryError
from sipelangi_net.platforms import PLATFORMS, Platform, resolve, spec_for
from sipelangi_net.validate import printable

__all__ = [
    "DEFAULT_ROUTE",
    "FRR_COMMAND",
    "MAX_ANSWER",
    "OVS_COMMAND",
    "SOURCES",
    "DeviceFacts",
    "FactsSource",
    "LiveFacts",
    "gather",
    "parse_frr",
    "parse_ovs",
]

(FRR_COMMAND,) = spec_for(Platform.FRR).facts.commands
(OVS_COMMAND,) = spec_for(Platform.OVS).facts.commands


# --- parsing (pure) ---------------------------------------------------------------------------


@dataclass(slots=True)
class _FrrState:
    """What parse_frr has read so far (mutable, private to one parse)."""

    device: str
    addresses: dict[str, list[IPv4Interface]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    routes: list[IPv4Network] = field(default_factory=list)
    interface: str | None = None
    in_vrf: bool = False

    def fail(self, lineno: int, what: str, line: str) -> DeviceError:
        return unexpected(self.device, FRR_COMMAND, f"line {lineno}: {what} {excerpt(line.strip())}")

    def top_level(self, lineno: int, line: str) -> None:
        words = line.split()
        self.interface, self.in_vrf = None, False
        if words[0] == "interface":
            if len(words) < 2:
                raise self.fail(lineno, "interface without a name", line)
            self.interface = port_name(self.device, FRR_COMMAND, words[1])
            self.addresses.setdefault(self.interface, [])
        elif words[0] == "vrf":
            self.in_vrf = True
        elif words[:2] == ["ip", "route"]:
            self.route(lineno, line)

    def indented(self, lineno: int, line: str) -> None:
        words = line.split()
        if self.interface is not None:
            if words[0] == "description":
                self.descriptions[self.interface] = printable(line.strip()[len("description") :].strip())
            elif words[:2] == ["ip", "address"]:
                self.address(lineno, line)
        elif self.in_vrf and words[:2] == ["ip", "route"]:
            self.route(lineno, line)

    def address(self, lineno: int, line: str) -> None:
        words = line.split()
        try:
            addr = IPv4Interface(words[2])
        except (IndexError, ValueError):
            raise self.fail(lineno, "bad interface address", line) from None
        assert self.interface is not None
        if addr not in self.addresses[self.interface]:
            self.addresses[self.interface].append(addr)

    def route(self, lineno: int, line: str) -> None:
        words = line.split()
        try:
            prefix = words[2]
            if "/" not in prefix and len(words) > 3 and words[3].count(".") == 3:
                prefix = f"{prefix}/{words[3]}"  # 'ip route 10.1.0.0 255.255.0.0 ...'
            network = IPv4Network(prefix, strict=False)
        except (IndexError, ValueError):
            raise self.fail(lineno, "bad static route", line) from None
        if network not in self.routes:
            self.routes.append(network)


def _frr_lines(device: str, running_config: str) -> list[str]:
    text = check_size(device, FRR_COMMAND, running_config)
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    for lineno, line in enumerate(lines, 1):
        if line.lstrip().startswith("% "):
            raise unexpected(device, FRR_COMMAND, f"line {lineno}: the device said {excerpt(line.strip())}")
    content = [ln for ln in lines if ln.strip()]
    if not content or content[-1].strip() != "end":
        raise unexpected(device, FRR_COMMAND, "no final 'end' line (truncated or not a running config)")
    return lines


def parse_frr(device: str, running_config: str) -> DeviceFacts:
    """Facts of an FRR router from its ``show running-config``.

    Lines the parser does not know are skipped; an ``interface``, ``ip address``
    or ``ip route`` line it cannot read, a ``% `` error, or an answer without
    the final ``end`` raise :class:`DeviceError`.
    """
    state = _FrrState(device)
    for lineno, line in enumerate(_frr_lines(device, running_config), 1):
        if not line.strip() or line.strip() == "end":
            continue
        if line[0].isspace():
            state.indented(lineno, line)
        else:
            state.top_level(lineno, line)
    return DeviceFacts(
        device=device,
        platform=Platform.FRR.value,
        reachable=True,
        addresses=MappingProxyType({p: tuple(a) for p, a in state.addresses.items()}),
        routes=tuple(state.routes),
        descriptions=MappingProxyType(state.descriptions),
    )


def _ovs_table(device: str, ports_json: str) -> tuple[list[str], list[Any]]:
    text = check_size(device, OVS_COMMAND, ports_json)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise unexpected(device, OVS_COMMAND, f"not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise unexpected(device, OVS_COMMAND, "JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise unexpected(device, OVS_COMMAND, f"not JSON ({excerpt(str(exc))})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise unexpected(device, OVS_COMMAND, "no 'data' list")
    headings = doc.get("headings")
    if not isinstance(headings, list) or not {"name", "tag", "external_ids"} <= set(
        h for h in headings if isinstance(h, str)
    ):
        raise unexpected(device, OVS_COMMAND, "'headings' lacks name, tag or external_ids")
    return headings, doc["data"]


def _ovs_tag(value: Any) -> int | None:
    """``tag`` cell: an integer, or ``["set", []]`` (none), or ``["set", [n]]``; ValueError otherwise."""
    if isinstance(value, list) and len(value) == 2 and value[0] == "set" and isinstance(value[1], list):
        if not value[1]:
            return None
        if len(value[1]) == 1:
            value = value[1][0]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4095:
        raise ValueError(f"bad VLAN tag {excerpt(json.dumps(value))}")
    return value


def _ovs_map(value: Any) -> dict[str, str]:
    """``external_ids`` cell: ``["map", [[key, value], ...]]`` of strings; ValueError otherwise."""
    if not (isinstance(value, list) and len(value) == 2 and value[0] == "map" and isinstance(value[1], list)):
        raise ValueError(f"bad external_ids {excerpt(json.dumps(value))}")
    pairs = value[1]
    if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs):
        raise ValueError(f"bad external_ids {excerpt(json.dumps(value))}")
    return dict(pairs)


def parse_ovs(device: str, ports_json: str) -> DeviceFacts:
    """Facts of an Open vSwitch switch from ``ovs-vsctl --format=json ... list Port``.

    The answer must be the ``{"data": [[name, tag, external_ids], ...], "headings": [...]}``
    table; anything else (garbage, truncated JSON, a bad cell, a repeated port)
    raises :class:`DeviceError`.
    """
    headings, rows = _ovs_table(device, ports_json)
    col = {h: headings.index(h) for h in ("name", "tag", "external_ids")}
    vlans: dict[str, int | None] = {}
    descriptions: dict[str, str] = {}
    for i, row in enumerate(rows, 1):
        if not isinstance(row, list) or len(row) != len(headings):
            raise unexpected(device, OVS_COMMAND, f"row {i} is not a list of {len(headings)} cells")
        name = port_name(device, OVS_COMMAND, row[col["name"]])
        if name in vlans:
            raise unexpected(device, OVS_COMMAND, f"port {name!r} listed twice")
        try:
            vlans[name] = _ovs_tag(row[col["tag"]])
            ids = _ovs_map(row[col["external_ids"]])
        except ValueError as exc:
            raise unexpected(device, OVS_COMMAND, f"port {name!r}: {exc}") from None
        if "description" in ids:
            descriptions[name] = printable(ids["description"])
    return DeviceFacts(
        device=device,
        platform=Platform.OVS.value,
        reachable=True,
        port_vlans=MappingProxyType(dict(sorted(vlans.items()))),
        descriptions=MappingProxyType(dict(sorted(descriptions.items()))),
    )


Parser = Callable[[str, Mapping[str, str]], DeviceFacts]
"""``parser(device, answers)``: the facts from the answers, keyed by command."""


@dataclass(frozen=True, slots=True)
class FactsSource:
    """Where a platform's live facts come from: the commands to send, and the parser of their answers."""

    commands: tuple[str, ...]
    parse: Parser


def frr_facts(device: str, answers: Mapping[str, str]) -> DeviceFacts:
    """:func:`parse_frr` as a facts parser (answers by command)."""
    return parse_frr(device, answers[FRR_COMMAND])


def ovs_facts(device: str, answers: Mapping[str, str]) -> DeviceFacts:
    """:func:`parse_ovs` as a facts parser (answers by command)."""
    return parse_ovs(device, answers[OVS_COMMAND])


SOURCES: Mapping[Platform, FactsSource] = MappingProxyType(
    {p: FactsSource(s.facts.commands, resolve(s.facts.parser)) for p, s in PLATFORMS.items()}
)
"""Per platform (its spec's ``facts``): the commands whose answers hold the facts, and their parser."""


# --- gathering (I/O) --------------------------------------------------------------------------


def _facts_task(task: Any) -> Any:
    from nornir.core.task import Result
    from nornir_netmiko.tasks import netmiko_send_command

    name, platform = task.host.name, str(task.host.platform)
    source = SOURCES.get(Platform(platform))
    if source is None:
        raise DeviceError(name, f"no live facts are read from platform {platform!r}")
    answers = {
        command: task.run(task=netmiko_send_command, command_string=command, name=command).result
        for command in source.commands
    }
    return Result(host=task.host, result=source.parse(name, answers))


def _failed(name: str, platform: str, multi: Any) -> DeviceFacts:
    from sipelangi_net.drivers.nornir import describe_failure, root_exception

    exc = root_exception(multi)
    if isinstance(exc, DeviceError) and exc.host == name:
        reason = str(exc).removeprefix(f"{name}: ")
    else:
        reason = describe_failure(name, multi)
    return DeviceFacts(device=name, platform=platform, reachable=False, error=reason)


def gather(
    inventory_dir: Path, creds: Credentials, devices: Sequence[str] | None = None, *, workers: int = 20
) -> LiveFacts:
    """Log in to ``devices`` (default: every inventory host) and read their live facts.

    One device failing (unreachable, refused host key, odd answer) is recorded
    on its :class:`DeviceFacts`; a name missing from the inventory raises
    :class:`InventoryError`.
    """
    from sipelangi_net.drivers.nornir import open_nornir

    nr = open_nornir(inventory_dir, creds, workers=workers)
    if devices is not None:
        missing = sorted(set(devices) - set(nr.inventory.hosts))
        if missing:
            raise InventoryError(
                f"{inventory_dir / 'hosts.yaml'}: no device named {', '.join(missing)}; check the name"
            )
        wanted = frozenset(devices)
        nr = nr.filter(filter_func=lambda host: host.name in wanted)
    gathered_at = datetime.now(UTC)
    try:
        results = nr.run(task=_facts_task, name="live facts")
    finally:
        nr.close_connections()
    out: dict[str, DeviceFacts] = {}
    for name in sorted(nr.inventory.hosts):
        multi = results[name]
        if multi.failed:
            out[name] = _failed(name, str(nr.inventory.hosts[name].platform), multi)
        else:
            out[name] = multi[0].result
    return LiveFacts(devices=MappingProxyType(out), gathered_at=gathered_at)
