"""Interface state and error counters from a device's answer: pure parsers, one per platform.

The platform spec names the command and the parser (``PlatformSpec.monitor``); the monitor
reads the command over its kept-open session each round and compares the counters with the
round before. A malformed answer is a :class:`ValueError` naming what is wrong (the monitor
then counts the device as not answering properly, never as all up).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FRR_ERRORS = ("inputErrors", "outputErrors")
"""zebra's totals (the other ``*Errors`` keys are their parts)."""
OVS_ERRORS = ("rx_errors", "tx_errors", "rx_crc_err", "rx_frame_err", "rx_over_err", "collisions")


@dataclass(frozen=True, slots=True)
class PortState:
    up: bool
    """Operationally up (link/carrier): a port taken down at either end is down at both."""
    errors: int = 0
    """Error counters summed (in and out); only their rise between rounds matters."""


def _document(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"{what}: the answer is not JSON ({text.strip()[:80]!r})") from None


def _count(values: Mapping[str, Any], keys: tuple[str, ...]) -> int:
    total = 0
    for key in keys:
        value = values.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            total += value
    return total


def frr_interfaces(text: str) -> dict[str, PortState]:
    """FRR ``show interface json``: ``{name: {"operationalStatus": "up", "inputErrors": N, ...}}``."""
    data = _document(text, "show interface json")
    if not isinstance(data, dict):
        raise ValueError("show interface json: the answer is not an object of interfaces")
    ports: dict[str, PortState] = {}
    for name, values in data.items():
        if not isinstance(values, dict):
            raise ValueError(f"show interface json: interface {name!r} is not an object")
        status = values.get("operationalStatus", values.get("linkStatus"))
        ports[str(name)] = PortState(up=status == "up", errors=_count(values, FRR_ERRORS))
    return ports


def _ovs_map(cell: Any) -> dict[str, Any]:
    if isinstance(cell, list) and len(cell) == 2 and cell[0] == "map" and isinstance(cell[1], list):
        return {str(k): v for k, v in (pair for pair in cell[1] if isinstance(pair, list) and len(pair) == 2)}
    return {}


def _ovs_text(cell: Any) -> str:
    return cell if isinstance(cell, str) else ""  # an unset column is ["set", []]


def ovs_interfaces(text: str) -> dict[str, PortState]:
    """``ovs-vsctl --format=json --columns=name,admin_state,link_state,statistics list Interface``."""
    data = _document(text, "ovs-vsctl list Interface")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("ovs-vsctl list Interface: no 'data' rows in the answer")
    headings = data.get("headings")
    if headings != ["name", "admin_state", "link_state", "statistics"]:
        raise ValueError(f"ovs-vsctl list Interface: unexpected columns {headings!r}")
    ports: dict[str, PortState] = {}
    for row in data["data"]:
        if not isinstance(row, list) or len(row) != 4 or not isinstance(row[0], str):
            raise ValueError("ovs-vsctl list Interface: a row is not [name, admin, link, statistics]")
        name, admin, link, stats = row
        up = _ovs_text(admin) != "down" and _ovs_text(link) == "up"
        ports[name] = PortState(up=up, errors=_count(_ovs_map(stats), OVS_ERRORS))
    return ports
