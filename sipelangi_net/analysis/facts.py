"""Live facts for the needs analysis (SOP step 4): what the devices really run.

The SOP asks that availability is checked on the live network, not only in
files: the access port is free, the VLAN is unused, the addresses are not in
use. :func:`gather` logs in to the devices (Nornir + Netmiko, host keys
verified) and reads, per platform, one command:

- ``frr``: ``show running-config`` → interface addresses, descriptions, static routes;
- ``ovs``: ``ovs-vsctl --format=json --columns=name,tag,external_ids list Port``
  → access VLAN tag and description of every port.

The parsers are pure and treat the answer as untrusted input: anything they
cannot read with certainty raises :class:`~sipelangi_net.errors.DeviceError`
(``unexpected answer to ...``), never another exception. A device that cannot
be reached or answers oddly is data (``reachable=False`` with the reason),
never an exception of :func:`gather`.

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

from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import DeviceError, InventoryError
from sipelangi_net.platforms import Platform
from sipelangi_net.validate import printable, unsafe_character

FRR_COMMAND = "show running-config"
OVS_COMMAND = "ovs-vsctl --format=json --columns=name,tag,external_ids list Port"
MAX_ANSWER = 8_000_000
"""Longest device answer (characters) the parsers accept; a longer one is refused."""
DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What one device runs now, as far as the needs analysis cares."""

    device: str
    platform: str
    reachable: bool
    error: str = ""
    addresses: Mapping[str, tuple[IPv4Interface, ...]] = field(default_factory=_empty)
    """Routers: every configured interface → its IPv4 addresses (``()`` when it has none)."""
    routes: tuple[IPv4Network, ...] = ()
    """Routers: static route prefixes (``ip route``), in configuration order."""
    port_vlans: Mapping[str, int | None] = field(default_factory=_empty)
    """Switches: every port → its access VLAN tag (``None``: no tag, e.g. an uplink)."""
    descriptions: Mapping[str, str] = field(default_factory=_empty)
    """Port → description (FRR ``description``, OVS ``external_ids:description``), escaped."""

    def subnets(self) -> frozenset[IPv4Network]:
        """Every connected subnet and static route prefix, without the default route."""
        connected = {addr.network for addrs in self.addresses.values() for addr in addrs}
        return frozenset(connected | set(self.routes)) - {DEFAULT_ROUTE}

    def vlans(self) -> frozenset[int]:
        """Every VLAN tag set on a port of the switch."""
        return frozenset(tag for tag in self.port_vlans.values() if tag is not None)

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "platform": self.platform,
            "reachable": self.reachable,
            "error": self.error,
            "addresses": {p: [str(a) for a in addrs] for p, addrs in sorted(self.addresses.items())},
            "routes": [str(r) for r in self.routes],
            "port_vlans": dict(sorted(self.port_vlans.items())),
            "descriptions": dict(sorted(self.descriptions.items())),
        }


@dataclass(frozen=True, slots=True)
class LiveFacts:
    """The facts of a set of devices, gathered at one moment."""

    devices: Mapping[str, DeviceFacts]
    gathered_at: datetime
    """When gathering started (UTC)."""
    _subnets: frozenset[IPv4Network] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: the analysis asks for it for every request it plans.
        subnets = frozenset().union(*(d.subnets() for d in self.devices.values() if d.reachable))
        object.__setattr__(self, "_subnets", subnets)

    def subnets_in_use(self) -> frozenset[IPv4Network]:
        """Every subnet in use on a reachable device (unreachable ones: see :meth:`unreachable`)."""
        return self._subnets

    def unreachable(self) -> list[str]:
        """``"device: reason"`` for every device whose facts could not be gathered."""
        return [f"{name}: {d.error}" for name, d in sorted(self.devices.items()) if not d.reachable]

    def to_json(self) -> dict[str, Any]:
        return {
            "gathered_at": self.gathered_at.isoformat(),
            "devices": {name: d.to_json() for name, d in sorted(self.devices.items())},
        }


# --- parsing (pure) ---------------------------------------------------------------------------


def _excerpt(text: str, limit: int = 60) -> str:
    short = text if len(text) <= limit else text[:limit] + "..."
    return repr(printable(short))


def _unexpected(device: str, command: str, reason: str) -> DeviceError:
    return DeviceError(device, f"unexpected answer to {command!r}: {reason}")


def _check_size(device: str, command: str, answer: object) -> str:
    if not isinstance(answer, str):
        raise _unexpected(device, command, f"not text but {type(answer).__name__}")
    if len(answer) > MAX_ANSWER:
        raise _unexpected(device, command, f"{len(answer)} characters, more than {MAX_ANSWER}")
    return answer


def _port_name(device: str, command: str, name: object) -> str:
    if not isinstance(name, str) or not name or unsafe_character(name) is not None or " " in name:
        raise _unexpected(device, command, f"bad port name {_excerpt(str(name))}")
    return name


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
        return _unexpected(self.device, FRR_COMMAND, f"line {lineno}: {what} {_excerpt(line.strip())}")

    def top_level(self, lineno: int, line: str) -> None:
        words = line.split()
        self.interface, self.in_vrf = None, False
        if words[0] == "interface":
            if len(words) < 2:
                raise self.fail(lineno, "interface without a name", line)
            self.interface = _port_name(self.device, FRR_COMMAND, words[1])
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
    text = _check_size(device, FRR_COMMAND, running_config)
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    for lineno, line in enumerate(lines, 1):
        if line.lstrip().startswith("% "):
            raise _unexpected(device, FRR_COMMAND, f"line {lineno}: the device said {_excerpt(line.strip())}")
    content = [ln for ln in lines if ln.strip()]
    if not content or content[-1].strip() != "end":
        raise _unexpected(device, FRR_COMMAND, "no final 'end' line (truncated or not a running config)")
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
    text = _check_size(device, OVS_COMMAND, ports_json)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _unexpected(device, OVS_COMMAND, f"not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise _unexpected(device, OVS_COMMAND, "JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise _unexpected(device, OVS_COMMAND, f"not JSON ({_excerpt(str(exc))})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise _unexpected(device, OVS_COMMAND, "no 'data' list")
    headings = doc.get("headings")
    if not isinstance(headings, list) or not {"name", "tag", "external_ids"} <= set(
        h for h in headings if isinstance(h, str)
    ):
        raise _unexpected(device, OVS_COMMAND, "'headings' lacks name, tag or external_ids")
    return headings, doc["data"]


def _ovs_tag(value: Any) -> int | None:
    """``tag`` cell: an integer, or ``["set", []]`` (none), or ``["set", [n]]``; ValueError otherwise."""
    if isinstance(value, list) and len(value) == 2 and value[0] == "set" and isinstance(value[1], list):
        if not value[1]:
            return None
        if len(value[1]) == 1:
            value = value[1][0]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4095:
        raise ValueError(f"bad VLAN tag {_excerpt(json.dumps(value))}")
    return value


def _ovs_map(value: Any) -> dict[str, str]:
    """``external_ids`` cell: ``["map", [[key, value], ...]]`` of strings; ValueError otherwise."""
    if not (isinstance(value, list) and len(value) == 2 and value[0] == "map" and isinstance(value[1], list)):
        raise ValueError(f"bad external_ids {_excerpt(json.dumps(value))}")
    pairs = value[1]
    if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs):
        raise ValueError(f"bad external_ids {_excerpt(json.dumps(value))}")
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
            raise _unexpected(device, OVS_COMMAND, f"row {i} is not a list of {len(headings)} cells")
        name = _port_name(device, OVS_COMMAND, row[col["name"]])
        if name in vlans:
            raise _unexpected(device, OVS_COMMAND, f"port {name!r} listed twice")
        try:
            vlans[name] = _ovs_tag(row[col["tag"]])
            ids = _ovs_map(row[col["external_ids"]])
        except ValueError as exc:
            raise _unexpected(device, OVS_COMMAND, f"port {name!r}: {exc}") from None
        if "description" in ids:
            descriptions[name] = printable(ids["description"])
    return DeviceFacts(
        device=device,
        platform=Platform.OVS.value,
        reachable=True,
        port_vlans=MappingProxyType(dict(sorted(vlans.items()))),
        descriptions=MappingProxyType(dict(sorted(descriptions.items()))),
    )


Parser = Callable[[str, str], DeviceFacts]
SOURCES: Mapping[Platform, tuple[str, Parser]] = MappingProxyType(
    {
        Platform.FRR: (FRR_COMMAND, parse_frr),
        Platform.OVS: (OVS_COMMAND, parse_ovs),
    }
)
"""Per platform: the command whose answer holds the facts, and its parser."""


# --- gathering (I/O) --------------------------------------------------------------------------


def _facts_task(task: Any) -> Any:
    from nornir.core.task import Result
    from nornir_netmiko.tasks import netmiko_send_command

    name, platform = task.host.name, str(task.host.platform)
    source = SOURCES.get(Platform(platform))
    if source is None:
        raise DeviceError(name, f"no live facts are read from platform {platform!r}")
    command, parser = source
    answer = task.run(task=netmiko_send_command, command_string=command, name=command).result
    return Result(host=task.host, result=parser(name, answer))


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
