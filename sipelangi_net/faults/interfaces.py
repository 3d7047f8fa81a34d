"""Interface state and error counters as a device prints them, per platform (pure parsers).

Platform differences are data: each platform's spec (``PlatformSpec.interfaces``) names the
read-only command whose answer holds every interface's state and counters, and the parser here
that reads it (:func:`reader`). FRR: vtysh's
``show interface`` (zebra's ``if_dump_vty``: ``Interface eth0 is up, line protocol is down``,
and ``Link downs: N``; FRR 8.4 on Linux prints no error counters there, and an FRR session is
vtysh only); Open vSwitch: the ``Interface`` table as JSON (``admin_state``, ``link_state``,
``statistics``: ``rx_errors``, ``tx_errors``, ``rx_dropped``, ``tx_dropped``). Both formats as
FRR 8.4 and Open vSwitch print them here (``tests/fixtures/frr/show_interface``,
``tests/fixtures/ovs/list_interface``). A platform without a reader is checked
for reachability and config only (its interface evidence is ``unknown``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sipelangi_net.platforms import Platform, resolve, spec_for


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """One interface: up or down (admin and link), and its error counters when the device shows them."""

    name: str
    admin_up: bool
    link_up: bool
    errors_in: int | None = None
    errors_out: int | None = None
    drops_in: int | None = None
    drops_out: int | None = None
    link_downs: int | None = None
    """How often the link went down since the device started (FRR), a sign of flapping."""

    @property
    def up(self) -> bool:
        return self.admin_up and self.link_up

    def describe(self) -> str:
        state = "up" if self.up else ("administratively down" if not self.admin_up else "link down")
        counters = ""
        if self.errors_in is not None or self.errors_out is not None:
            counters = f", errors in/out {_n(self.errors_in)}/{_n(self.errors_out)}"
        if self.drops_in is not None or self.drops_out is not None:
            counters += f", drops in/out {_n(self.drops_in)}/{_n(self.drops_out)}"
        if self.link_downs is not None:
            counters += f", link down {self.link_downs} times since start"
        return f"{self.name} {state}{counters}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "admin_up": self.admin_up,
            "link_up": self.link_up,
            "errors_in": self.errors_in,
            "errors_out": self.errors_out,
            "drops_in": self.drops_in,
            "drops_out": self.drops_out,
            "link_downs": self.link_downs,
        }


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


Parser = Callable[[str], dict[str, InterfaceState]]

FRR_HEAD = re.compile(r"^Interface (\S+) is (up|down)(?:, line protocol is (up|down))?", re.M)
FRR_COUNTERS = {
    "link_downs": re.compile(r"^\s*Link downs:\s*(\d+)", re.M),
    # zebra prints these only when built with /proc/net/dev statistics (not on Linux 8.4)
    "errors_in": re.compile(r"^\s*(\d+) input errors", re.M),
    "errors_out": re.compile(r"^\s*(\d+) output errors", re.M),
}


def _counter(pattern: re.Pattern[str], block: str) -> int | None:
    match = pattern.search(block)
    return int(match.group(1)) if match else None


def parse_frr(text: str) -> dict[str, InterfaceState]:
    """vtysh ``show interface``: one block per interface, from its ``Interface X is ...`` line."""
    heads = list(FRR_HEAD.finditer(text))
    out: dict[str, InterfaceState] = {}
    for i, head in enumerate(heads):
        block = text[head.start() : heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        admin_up = head.group(2) == "up"
        link_up = admin_up and head.group(3) != "down"
        counters = {key: _counter(p, block) for key, p in FRR_COUNTERS.items()}
        out[head.group(1)] = InterfaceState(head.group(1), admin_up, link_up, **counters)
    return out


def _ovs_value(value: Any) -> Any:
    """An OVSDB JSON value: ``["map", [[k, v], ...]]``, ``["set", [...]]`` (empty: none), or the atom."""
    if isinstance(value, list) and len(value) == 2 and value[0] == "map":
        return {str(k): v for k, v in value[1]}
    if isinstance(value, list) and len(value) == 2 and value[0] == "set":
        return value[1][0] if value[1] else None
    return value


def _int(stats: Mapping[str, Any], key: str) -> int | None:
    value = stats.get(key)
    return value if isinstance(value, int) else None


def parse_ovs(text: str) -> dict[str, InterfaceState]:
    """``ovs-vsctl --format=json list Interface`` with name, admin_state, link_state, statistics."""
    try:
        table = json.loads(text)
        headings, rows = table["headings"], table["data"]
    except (ValueError, TypeError, KeyError):
        raise ValueError(f"not an OVSDB table as JSON: {text.strip()[:120]!r}") from None
    out: dict[str, InterfaceState] = {}
    for row in rows:
        cells = {h: _ovs_value(v) for h, v in zip(headings, row, strict=False)}
        name = str(cells.get("name"))
        stats = cells.get("statistics") or {}
        stats = stats if isinstance(stats, dict) else {}
        out[name] = InterfaceState(
            name,
            admin_up=cells.get("admin_state") == "up",
            link_up=cells.get("link_state") == "up",
            errors_in=_int(stats, "rx_errors"),
            errors_out=_int(stats, "tx_errors"),
            drops_in=_int(stats, "rx_dropped"),
            drops_out=_int(stats, "tx_dropped"),
        )
    return out


@dataclass(frozen=True, slots=True)
class InterfaceReader:
    command: str
    """Read-only: what the device is asked."""
    parse: Parser


def reader(platform: Platform) -> InterfaceReader | None:
    """The platform's interface reader (its spec's ``interfaces``), or None when it has none."""
    spec = spec_for(platform).interfaces
    if spec is None:
        return None
    parse: Parser = resolve(spec.parser)
    return InterfaceReader(spec.command, parse)
