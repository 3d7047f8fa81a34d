"""The dependency tree the monitor sees, from the inventory: a pure function, no I/O.

The monitor stands on the Diskominfo server segment, so the tree is rooted at the segment's switch
(``servers.yaml`` ``segment.switch``); the segment gateway (the core) hangs below it, the backbone
links of ``links.yaml`` and the devices behind them below that, and each OPD site of ``sites.yaml``
below its distribution router: the site's uplink; behind it the OPD's gateway (an address on the
distribution router's port that carries the uplink: the port down, the gateway is gone with it,
one fault for the cut) and the access switch, with a host behind it. Every target
has one parent, as a Nagios host has its ``parents`` or a Zabbix trigger its dependencies; the
OPDs behind a target are those whose gateway or host has it on their path.

A ring of links (two paths between the same devices) is refused: the tree needs one parent per
device. Errors name the file and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from sipelangi_net.errors import InventoryError
from sipelangi_net.inventory import Inventory

TargetKind = Literal["device", "link", "uplink", "gateway", "host"]


@dataclass(frozen=True, slots=True, order=True)
class Target:
    """What the monitor watches: a device, a backbone link (``links.yaml``), a site's uplink, an
    OPD's gateway or a host behind it (the last three are named by the site key)."""

    kind: TargetKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True, slots=True)
class Dependency:
    target: Target
    parent: Target | None
    """``None`` only for the root."""
    site: str | None = None
    """The OPD site the target belongs to (its uplink, access switch, gateway and host)."""


@dataclass(frozen=True, slots=True)
class DependencyTree:
    """Every monitored target with its parent, from the monitor's vantage point outward."""

    root: Target
    nodes: Mapping[Target, Dependency]
    """In breadth-first order from the root."""
    opds: tuple[str, ...]
    """The OPD sites watched (gateway and host targets), in ``sites.yaml`` order."""

    def parent(self, target: Target) -> Target | None:
        return self._node(target).parent

    def ancestors(self, target: Target) -> tuple[Target, ...]:
        """The targets between ``target`` and the root, nearest first (the root last)."""
        chain: list[Target] = []
        parent = self._node(target).parent
        while parent is not None:
            chain.append(parent)
            parent = self.nodes[parent].parent
        return tuple(chain)

    def children(self, target: Target) -> tuple[Target, ...]:
        self._node(target)
        return tuple(t for t, dep in self.nodes.items() if dep.parent == target)

    def opds_behind(self, target: Target) -> tuple[str, ...]:
        """The watched OPDs cut off when ``target`` is down (itself included when it is theirs)."""
        self._node(target)
        cut: list[str] = []
        for site in self.opds:
            path = {t for t in (Target("gateway", site), Target("host", site))}
            for t in tuple(path):
                path.update(self.ancestors(t))
            if target in path:
                cut.append(site)
        return tuple(cut)

    def _node(self, target: Target) -> Dependency:
        try:
            return self.nodes[target]
        except KeyError:
            raise KeyError(f"{target} is not a monitored target of the inventory") from None


@dataclass(frozen=True, slots=True)
class _Edge:
    near: str
    far: str
    via: Target | None
    where: str
    site: str | None = None


def _device(inventory: Inventory, name: str, where: str) -> str:
    if name not in inventory.devices:
        raise InventoryError(f"{where}: unknown device {name!r} (not in hosts.yaml)")
    return name


def _edges(inventory: Inventory) -> list[_Edge]:
    root = inventory.path
    seg = inventory.servers.segment
    where = f"{root / 'servers.yaml'}: segment"
    edges = [
        _Edge(
            _device(inventory, seg.switch.device, f"{where}.switch.device"),
            _device(inventory, seg.gateway.device, f"{where}.gateway.device"),
            None,
            f"{where}.gateway.device",
        )
    ]
    for i, link in enumerate(inventory.links):
        where = f"{root / 'links.yaml'}: [{i}]"
        a = _device(inventory, link.a.device, f"{where}.a.device")
        b = _device(inventory, link.b.device, f"{where}.b.device")
        name = f"{a}:{link.a.port}--{b}:{link.b.port}"
        edges.append(_Edge(a, b, Target("link", name), f"{where}.b.device"))
    for key, site in inventory.sites.items():
        where = f"{root / 'sites.yaml'}: {key}"
        dist = _device(inventory, site.distribution.device, f"{where}.distribution.device")
        sw = _device(inventory, site.access_switch.device, f"{where}.access_switch.device")
        edges.append(_Edge(dist, sw, Target("uplink", key), f"{where}.access_switch.device", key))
    return edges


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _refuse_cycles(inventory: Inventory, edges: list[_Edge]) -> None:
    """Union-find over the edges: the first edge joining two devices already joined closes a cycle."""
    parent = {name: name for name in inventory.devices}
    for edge in edges:
        if edge.near == edge.far:
            raise InventoryError(f"{edge.where}: {edge.far!r} is joined to itself (a cycle)")
        a, b = _find(parent, edge.near), _find(parent, edge.far)
        if a == b:
            raise InventoryError(
                f"{edge.where}: {edge.near} and {edge.far} are already joined by another path"
                " (a cycle); the dependency tree needs one parent per device: remove the redundant link"
            )
        parent[a] = b


def _orient(inventory: Inventory, root: str, edges: list[_Edge]) -> dict[Target, Dependency]:
    """Breadth-first from the root: each edge's far side hangs below its near side."""
    around: dict[str, list[_Edge]] = {}
    for edge in edges:
        around.setdefault(edge.near, []).append(edge)
        around.setdefault(edge.far, []).append(_Edge(edge.far, edge.near, edge.via, edge.where, edge.site))
    nodes: dict[Target, Dependency] = {Target("device", root): Dependency(Target("device", root), None)}
    queue = [root]
    for here in queue:
        for edge in around.get(here, []):
            far = Target("device", edge.far)
            if far in nodes:
                continue
            above = Target("device", here)
            if edge.via is not None:
                nodes[edge.via] = Dependency(edge.via, above, edge.site)
                above = edge.via
            nodes[far] = Dependency(far, above, edge.site)
            queue.append(edge.far)
    for name in inventory.devices:
        if Target("device", name) not in nodes:
            raise InventoryError(
                f"{inventory.path / 'hosts.yaml'}: {name}: not connected to {root} by links.yaml,"
                " sites.yaml or servers.yaml; the monitor cannot place it: add its link"
            )
    return nodes


def build_dependencies(inventory: Inventory, *, opds: Iterable[str] | None = None) -> DependencyTree:
    """The dependency tree of ``inventory``, watching the OPD sites ``opds`` (default: every site
    of ``sites.yaml``; the monitor passes the provisioned ones)."""
    watched = tuple(inventory.sites) if opds is None else tuple(dict.fromkeys(opds))
    for key in watched:
        if key not in inventory.sites:
            raise InventoryError(f"{inventory.path / 'sites.yaml'}: {key}: unknown OPD site")
    edges = _edges(inventory)
    _refuse_cycles(inventory, edges)
    root = edges[0].near
    nodes = _orient(inventory, root, edges)
    for key in watched:
        site = inventory.sites[key]
        gateway, host = Target("gateway", key), Target("host", key)
        nodes[gateway] = Dependency(gateway, Target("uplink", key), key)
        nodes[host] = Dependency(host, Target("device", site.access_switch.device), key)
    return DependencyTree(root=Target("device", root), nodes=nodes, opds=watched)
