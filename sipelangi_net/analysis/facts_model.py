"""The live facts' values and the checks every facts parser shares.

:class:`DeviceFacts` is what one device runs now, :class:`LiveFacts` a set of
them; the helpers below turn an odd device answer into a
:class:`~sipelangi_net.errors.DeviceError` naming the device and the command.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Interface, IPv4Network
from types import MappingProxyType
from typing import Any

from sipelangi_net.errors import DeviceError
from sipelangi_net.validate import printable, unsafe_character

MAX_ANSWER = 8_000_000
"""Longest device answer (characters) the parsers accept; a longer one is refused."""
DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")
_VLAN_RANGE = re.compile(r"([0-9]{1,4})(?:-([0-9]{1,4}))?")


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


# --- checks shared by the parsers -----------------------------------------------------------


def excerpt(text: str, limit: int = 60) -> str:
    short = text if len(text) <= limit else text[:limit] + "..."
    return repr(printable(short))


def unexpected(device: str, command: str, reason: str) -> DeviceError:
    return DeviceError(device, f"unexpected answer to {command!r}: {reason}")


def check_size(device: str, command: str, answer: object) -> str:
    if not isinstance(answer, str):
        raise unexpected(device, command, f"not text but {type(answer).__name__}")
    if len(answer) > MAX_ANSWER:
        raise unexpected(device, command, f"{len(answer)} characters, more than {MAX_ANSWER}")
    return answer


def port_name(device: str, command: str, name: object, *, spaces: bool = False) -> str:
    """``name`` if it is a usable port name (no control characters; no spaces unless ``spaces``)."""
    if (
        not isinstance(name, str)
        or not name
        or unsafe_character(name) is not None
        or (" " in name and not spaces)
        or name != name.strip()
    ):
        raise unexpected(device, command, f"bad port name {excerpt(str(name))}")
    return name


def vlan_list(text: str) -> frozenset[int]:
    """A VLAN list as IOS, EOS and RouterOS print it (``1,10-12,5``) → its VLAN ids.

    ``none`` (IOS/EOS) and the empty text (a RouterOS ``vlan-ids=`` without ids) are the empty
    list. Anything else — a word such as ``all``, an empty item, an id outside 1-4094, a range
    running backwards — raises :class:`ValueError` naming the list.
    """
    if text in ("", "none"):
        return frozenset()
    ids: set[int] = set()
    for part in text.split(","):
        match = _VLAN_RANGE.fullmatch(part)
        first, last = (int(match[1]), int(match[2] or match[1])) if match else (0, 0)
        if not 1 <= first <= last <= 4094:
            raise ValueError(f"bad VLAN list {excerpt(text)}")
        ids.update(range(first, last + 1))
    return frozenset(ids)
