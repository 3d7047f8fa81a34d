"""Interface state and error counters from a device's answer: pure parsers, one per platform.

Platform differences are data: each platform's spec (``PlatformSpec.interfaces``) names the
read-only command whose answer holds every interface's state and counters, and the parser here
that reads it (:func:`reader`). The monitor reads it over its kept-open session each round and
compares the counters with the round before; ``fault diagnose`` reads it once per hop.

- FRR: ``show interface json`` (zebra): ``administrativeStatus``, ``operationalStatus`` (absent
  for an interface taken down), ``linkDowns``; FRR 8.4 on Linux prints no error counters (nor in
  the text form), so a backbone link between two routers is only up or down. As FRR 8.4.4 prints
  it on the lab: ``tests/fixtures/frr/interface_json/dist.json``.
- Open vSwitch: the ``Interface`` table as JSON (``admin_state``, ``link_state``,
  ``statistics``: errors and drops), ``tests/fixtures/ovs/list_interface/sw.json``.

A malformed answer is a :class:`ValueError` naming what is wrong (the monitor then counts the
device as not answering properly, never as all up; a diagnosis marks the hop ``unknown``).
A platform without a reader is watched for reachability and checked for config only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sipelangi_net.platforms import Platform, resolve, spec_for

FRR_ERRORS = ("inputErrors", "outputErrors")
"""zebra's totals, where a build prints them (the other ``*Errors`` keys are their parts)."""
OVS_COLUMNS = ["name", "admin_state", "link_state", "statistics"]
OVS_ERRORS_IN = ("rx_errors", "rx_crc_err", "rx_frame_err", "rx_over_err")
OVS_ERRORS_OUT = ("tx_errors", "collisions")


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """One interface: up or down (admin and link), and its counters when the device shows them."""

    name: str
    admin_up: bool
    link_up: bool
    """Operationally up (link/carrier): a port taken down at either end is down at both."""
    errors_in: int | None = None
    errors_out: int | None = None
    drops_in: int | None = None
    drops_out: int | None = None
    link_downs: int | None = None
    """How often the link went down since the device started (FRR), a sign of flapping."""

    @property
    def up(self) -> bool:
        return self.admin_up and self.link_up

    @property
    def errors(self) -> int:
        """Error counters summed, in and out (0 when not shown): only their rise matters."""
        return (self.errors_in or 0) + (self.errors_out or 0)

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


Parser = Callable[[str], dict[str, InterfaceState]]


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


def _document(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"{what}: the answer is not JSON ({text.strip()[:80]!r})") from None


def _count(values: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    """The sum of the counters among ``keys`` the answer holds; None when it holds none."""
    found = [v for k in keys if isinstance(v := values.get(k), int) and not isinstance(v, bool) and v >= 0]
    return sum(found) if found else None


def frr_interfaces(text: str) -> dict[str, InterfaceState]:
    """FRR ``show interface json``: ``{name: {"administrativeStatus": "up", ...}}``."""
    data = _document(text, "show interface json")
    if not isinstance(data, dict):
        raise ValueError("show interface json: the answer is not an object of interfaces")
    out: dict[str, InterfaceState] = {}
    for name, values in data.items():
        if not isinstance(values, dict):
            raise ValueError(f"show interface json: interface {name!r} is not an object")
        admin_up = values.get("administrativeStatus", "up") == "up"
        link_up = admin_up and values.get("operationalStatus", values.get("linkStatus")) == "up"
        out[str(name)] = InterfaceState(
            str(name),
            admin_up=admin_up,
            link_up=link_up,
            errors_in=_count(values, FRR_ERRORS[:1]),
            errors_out=_count(values, FRR_ERRORS[1:]),
            link_downs=_count(values, ("linkDowns",)),
        )
    return out


def _ovs_map(cell: Any) -> dict[str, Any]:
    if isinstance(cell, list) and len(cell) == 2 and cell[0] == "map" and isinstance(cell[1], list):
        return {str(k): v for k, v in (pair for pair in cell[1] if isinstance(pair, list) and len(pair) == 2)}
    return {}


def _ovs_text(cell: Any) -> str:
    return cell if isinstance(cell, str) else ""  # an unset column is ["set", []]


def ovs_interfaces(text: str) -> dict[str, InterfaceState]:
    """``ovs-vsctl --format=json --columns=name,admin_state,link_state,statistics list Interface``."""
    data = _document(text, "ovs-vsctl list Interface")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("ovs-vsctl list Interface: no 'data' rows in the answer")
    if data.get("headings") != OVS_COLUMNS:
        raise ValueError(f"ovs-vsctl list Interface: unexpected columns {data.get('headings')!r}")
    out: dict[str, InterfaceState] = {}
    for row in data["data"]:
        if not isinstance(row, list) or len(row) != 4 or not isinstance(row[0], str):
            raise ValueError("ovs-vsctl list Interface: a row is not [name, admin, link, statistics]")
        name, admin, link, cell = row
        stats = _ovs_map(cell)
        admin_up = _ovs_text(admin) != "down"
        out[name] = InterfaceState(
            name,
            admin_up=admin_up,
            link_up=admin_up and _ovs_text(link) == "up",
            errors_in=_count(stats, OVS_ERRORS_IN),
            errors_out=_count(stats, OVS_ERRORS_OUT),
            drops_in=_count(stats, ("rx_dropped",)),
            drops_out=_count(stats, ("tx_dropped",)),
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
