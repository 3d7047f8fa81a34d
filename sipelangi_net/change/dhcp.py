"""The OPD's DHCP scope on the city's central Kea server: pure, no I/O.

A gateway that relays DHCP (FRR has no DHCP server) forwards the OPD LAN's requests to the
central ISC Kea server in the Diskominfo server segment. A change adds the OPD's scope there as
one Kea ``subnet4`` entry (:func:`scope_entry`), selected by the relay's address (giaddr) and
marked with the ticket in its ``user-context``. The change works on the server's whole
``subnet4`` list: the list before is the backup, :func:`with_scope` is the list after, and the
rollback sets the list before back. Lists read back from a server are untrusted and checked
(:func:`parse_subnets`); :func:`subnet_lines` and :func:`scope_commands` are the canonical text
of a list for diffs, digests and the dry run.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from sipelangi_net.errors import ConfigError, DeviceError

USER_CONTEXT = "sipelangi"  # the key of our mark in an entry's user-context
MAX_SUBNET_ID = 2**32 - 1  # Kea's subnet ids are uint32; 0 means "assign one"


@dataclass(frozen=True, slots=True)
class Scope:
    """One OPD LAN's DHCP scope: its subnet, the gateway (router option and relay) and the pool."""

    ticket_id: str
    subnet: IPv4Network
    gateway: IPv4Address
    first: IPv4Address
    last: IPv4Address
    dns: tuple[IPv4Address, ...] = ()

    def __post_init__(self) -> None:
        problem = _scope_problem(self)
        if problem:
            raise ConfigError(f"ticket {self.ticket_id}: DHCP scope {self.subnet}: {problem}")

    @property
    def id(self) -> int:
        """Kea's subnet id: the network address as a number (unique among non-overlapping subnets)."""
        return int(self.subnet.network_address)


def _scope_problem(scope: Scope) -> str | None:
    net = scope.subnet
    if not scope.ticket_id.strip():
        return "no ticket id"
    if net.prefixlen > 30 or int(net.network_address) == 0:
        return "not a LAN subnet (a scope needs /30 or larger, and 0.0.0.0 is Kea's 'no subnet id')"
    hosts = (net.network_address + 1, net.broadcast_address - 1)
    named = {"gateway": scope.gateway, "first": scope.first, "last": scope.last}
    outside = [f"{name} {value}" for name, value in named.items() if not hosts[0] <= value <= hosts[1]]
    if outside:
        return f"{', '.join(outside)}: not a host address of {net}"
    if scope.first > scope.last:
        return f"the pool's first address {scope.first} is after its last {scope.last}"
    if scope.first <= scope.gateway <= scope.last:
        return f"the gateway {scope.gateway} lies in the pool {scope.first}-{scope.last}"
    return None


def scope_entry(scope: Scope) -> dict[str, Any]:
    """The Kea ``subnet4`` entry of ``scope``, in the form Kea prints it back (``a-b`` pools)."""
    options: list[dict[str, Any]] = [{"name": "routers", "data": str(scope.gateway)}]
    if scope.dns:
        options.append({"name": "domain-name-servers", "data": ", ".join(str(d) for d in scope.dns)})
    return {
        "id": scope.id,
        "subnet": str(scope.subnet),
        "pools": [{"pool": f"{scope.first}-{scope.last}"}],
        "option-data": options,
        "relay": {"ip-addresses": [str(scope.gateway)]},
        "user-context": {USER_CONTEXT: {"ticket": scope.ticket_id}},
    }


# --------------------------------------------------------------------------- reading a server's list


def parse_subnets(server: str, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``Dhcp4.subnet4`` list of a ``config-get`` answer (its arguments), checked.

    The subnets of ``shared-networks`` are checked as well (they are read by
    :func:`parse_shared_subnets`) but are not part of the list: a change leaves them alone.
    """
    dhcp4 = _dhcp4(server, config)
    subnets = _checked_list(server, dhcp4.get("subnet4", []), "Dhcp4.subnet4")
    parse_shared_subnets(server, config)
    return subnets


def parse_shared_subnets(server: str, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The subnets inside ``Dhcp4.shared-networks``, checked: they count for overlaps, never change."""
    networks = _dhcp4(server, config).get("shared-networks", [])
    if not isinstance(networks, list):
        raise DeviceError(server, _bad("Dhcp4.shared-networks is not a list", networks))
    found: list[dict[str, Any]] = []
    for i, network in enumerate(networks):
        where = f"Dhcp4.shared-networks[{i}]"
        if not isinstance(network, Mapping):
            raise DeviceError(server, _bad(f"{where} is not an object", network))
        found += _checked_list(server, network.get("subnet4", []), f"{where}.subnet4")
    return found


def _dhcp4(server: str, config: Mapping[str, Any]) -> Mapping[str, Any]:
    dhcp4 = config.get("Dhcp4") if isinstance(config, Mapping) else None
    if not isinstance(dhcp4, Mapping):
        raise DeviceError(server, _bad("the config-get answer has no Dhcp4 object", config))
    return dhcp4


def _checked_list(server: str, value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise DeviceError(server, _bad(f"{where} is not a list", value))
    for i, entry in enumerate(value):
        entry_network(server, entry, f"{where}[{i}]")
    return [copy.deepcopy(dict(entry)) for entry in value]


def entry_network(server: str, entry: Any, where: str = "subnet4 entry") -> IPv4Network:
    """The subnet of one ``subnet4`` entry, after checking its ``id`` and ``subnet``."""
    if not isinstance(entry, Mapping):
        raise DeviceError(server, _bad(f"{where} is not an object", entry))
    sid = entry.get("id")
    if not isinstance(sid, int) or isinstance(sid, bool) or not 0 < sid <= MAX_SUBNET_ID:
        raise DeviceError(server, _bad(f"{where} has no valid id (an integer 1..{MAX_SUBNET_ID})", sid))
    try:
        return ipaddress.IPv4Network(entry.get("subnet"))
    except (TypeError, ValueError):
        bad = _bad(f"{where} (id {sid}) has no valid IPv4 subnet", entry.get("subnet"))
        raise DeviceError(server, bad) from None


def _bad(what: str, value: Any) -> str:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return f"the Kea server's answer cannot be used: {what} (got {shown}); check the server's configuration"


def ticket_of(entry: Mapping[str, Any]) -> str | None:
    """The ticket that put ``entry`` there (our ``user-context`` mark), or None."""
    context = entry.get("user-context")
    mark = context.get(USER_CONTEXT) if isinstance(context, Mapping) else None
    ticket = mark.get("ticket") if isinstance(mark, Mapping) else None
    return ticket if isinstance(ticket, str) else None


# --------------------------------------------------------------------------- the list after


def with_scope(
    server: str,
    subnets: Sequence[Mapping[str, Any]],
    scope: Scope,
    *,
    shared: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """``subnets`` with ``scope``'s entry added, or in place of the ticket's own entry for it.

    Entries of the same ticket with the scope's id or overlapping its subnet are replaced (at the
    first one's place), unless the entry already reads as the scope's (:func:`subnet_lines`: as
    Kea prints it back), which is kept as it is: the list of a server that has the scope comes
    back unchanged. An entry of another ticket, or not ours, with the scope's id or overlapping
    its subnet is refused, as is one of a shared network. Every other entry stays, untouched and
    in order.
    """
    entry = scope_entry(scope)
    for item in shared:
        if _collides(server, item, scope, "shared-networks subnet"):
            raise DeviceError(server, _taken(scope, item, "in a shared network, "))
    result: list[dict[str, Any]] = []
    placed = False
    for item in subnets:
        if not _collides(server, item, scope, "subnet4 entry"):
            result.append(copy.deepcopy(dict(item)))
            continue
        if ticket_of(item) != scope.ticket_id:
            raise DeviceError(server, _taken(scope, item, ""))
        if not placed:
            same = subnet_lines([item]) == subnet_lines([entry])
            result.append(copy.deepcopy(dict(item)) if same else entry)
            placed = True
    if not placed:
        result.append(entry)
    return result


def _collides(server: str, item: Mapping[str, Any], scope: Scope, where: str) -> bool:
    return item.get("id") == scope.id or entry_network(server, item, where).overlaps(scope.subnet)


def _taken(scope: Scope, item: Mapping[str, Any], where: str) -> str:
    owner = ticket_of(item)
    whose = f"ticket {owner}" if owner else "not made by sipelangi-net"
    return (
        f"ticket {scope.ticket_id}: DHCP scope {scope.subnet} (subnet id {scope.id}) collides with "
        f"subnet4 {item.get('subnet')} (id {item.get('id')}, {where}{whose}); nothing was changed: "
        "give the OPD another subnet, or remove that entry from the server first"
    )


# --------------------------------------------------------------------------- canonical text


def subnet_lines(subnets: Iterable[Mapping[str, Any]]) -> list[str]:
    """One canonical line per entry (id, subnet, pools, routers, DNS, relay, ticket), sorted.

    Kea's defaults (lifetimes, empty reservations) are left out, so the list a server prints back
    and the list that was set read the same.
    """
    keyed = []
    for entry in subnets:
        line = (
            f"id={entry.get('id')} subnet={entry.get('subnet')}"
            f" pools={_join(_pool(p) for p in _list(entry.get('pools')))}"
            f" routers={_option(entry, 'routers')} dns={_option(entry, 'domain-name-servers')}"
            f" relay={_join(str(a) for a in _list(_mapping(entry.get('relay')).get('ip-addresses')))}"
            f" ticket={ticket_of(entry) or '-'}"
        )
        keyed.append((_sort_key(entry), line))
    return [line for _, line in sorted(keyed)]


def scope_commands(
    server: str,
    running_subnets: Sequence[Mapping[str, Any]],
    intended_subnets: Sequence[Mapping[str, Any]],
) -> tuple[str, ...]:
    """The dry run's lines: ``subnet4 del <line>`` then ``subnet4 add <line>``; empty when equal."""
    for i, entry in enumerate([*running_subnets, *intended_subnets]):
        entry_network(server, entry, f"subnet4 entry {i}")
    before, after = subnet_lines(running_subnets), subnet_lines(intended_subnets)
    gone = [f"subnet4 del {line}" for line in before if line not in after]
    new = [f"subnet4 add {line}" for line in after if line not in before]
    return (*gone, *new)


def _sort_key(entry: Mapping[str, Any]) -> tuple[int, int, int]:
    try:
        net = ipaddress.IPv4Network(entry.get("subnet"))
    except (TypeError, ValueError):
        return (-1, 0, 0)
    sid = entry.get("id")
    return (int(net.network_address), net.prefixlen, sid if isinstance(sid, int) else -1)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _join(items: Iterable[str]) -> str:
    return ",".join(items) or "-"


def _pool(pool: Any) -> str:
    return "".join(str(_mapping(pool).get("pool", "?")).split())


def _option(entry: Mapping[str, Any], name: str) -> str:
    for option in _list(entry.get("option-data")):
        if _mapping(option).get("name") == name:
            return "".join(str(option.get("data", "")).split()) or "-"
    return "-"
