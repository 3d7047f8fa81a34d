"""Load and validate the inventory directory.

``inventory/`` is a Nornir SimpleInventory (``hosts.yaml``, ``groups.yaml``,
``defaults.yaml``) plus catalogues: ``links.yaml`` (backbone links),
``servers.yaml`` (the Diskominfo server segment) and ``sites.yaml`` (OPD
sites). Everything is validated on load; an error names the file, the entry
and the field. The result is one frozen :class:`Inventory` value.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from sipelangi_net.capped import read_capped_text
from sipelangi_net.errors import InventoryError
from sipelangi_net.platforms import Platform, spec_for
from sipelangi_net.validate import is_loopback, safe_text

MAX_YAML_BYTES = 16 * 1024 * 1024  # an inventory, playbook or --handover file
NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
PORT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9/._:-]{0,31}$"

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
PortName = Annotated[str, StringConstraints(pattern=PORT_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=200), AfterValidator(safe_text)]
Mbit = Annotated[int, Field(gt=0, le=100_000)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HostData(BaseModel):
    """Free-form host data (Nornir ``data``), with the keys the toolkit reads checked."""

    model_config = ConfigDict(frozen=True, extra="allow")

    site: Name | None = None
    kecamatan: Text | None = None
    description: Text | None = None
    loopback: ipaddress.IPv4Interface | None = None
    api_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    """The port of the deploy driver's API when it is not the SSH port ``port`` (Arista eAPI over
    HTTPS: 443 on a switch whose SSH is 22); the live facts and compliance read over SSH."""


class HostEntry(_Model):
    hostname: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.:-]{1,253}$")]
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    username: str | None = None
    password: str | None = None
    platform: Platform | None = None
    groups: list[Name] = []
    data: HostData = HostData()
    connection_options: dict[str, Any] = {}


class GroupEntry(_Model):
    hostname: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    username: str | None = None
    password: str | None = None
    platform: Platform | None = None
    groups: list[Name] = []
    data: dict[str, Any] = {}
    connection_options: dict[str, Any] = {}


class DefaultsEntry(_Model):
    hostname: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    username: str | None = None
    password: str | None = None
    platform: Platform | None = None
    data: dict[str, Any] = {}
    connection_options: dict[str, Any] = {}


class Endpoint(_Model):
    device: Name
    port: PortName
    address: ipaddress.IPv4Interface | None = None


class Link(_Model):
    a: Endpoint
    b: Endpoint
    capacity_mbit: Mbit
    medium: Literal["fibre", "radio", "copper"] = "fibre"


class Service(_Model):
    name: Name
    protocol: Literal["tcp", "udp"] = "tcp"
    port: Annotated[int, Field(ge=1, le=65535)]


class Server(_Model):
    address: ipaddress.IPv4Address
    switch_port: PortName
    description: Text = ""
    services: list[Service] = []


class SegmentSwitch(_Model):
    device: Name
    port: PortName


class ServerSegment(_Model):
    name: Text
    subnet: ipaddress.IPv4Network
    gateway: Endpoint
    switch: SegmentSwitch
    capacity_mbit: Mbit
    vlan: Annotated[int, Field(ge=1, le=4094)] = 10


class DhcpService(_Model):
    """The central DHCP server (ISC Kea) that gateways relaying DHCP hand their OPD LAN to."""

    server: Name
    """The server of ``servers`` that runs it (its address is the relays' target)."""
    control_url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=200)]
    """Its Kea Control Agent: ``https://`` (``http://`` only on a loopback address)."""


class ServerCatalogue(_Model):
    segment: ServerSegment
    servers: dict[Name, Server]
    dhcp: DhcpService | None = None


class PortRef(_Model):
    device: Name
    port: PortName


class AccessSwitch(_Model):
    device: Name
    uplink: PortName
    ports: Annotated[int, Field(ge=1, le=48)] = 4
    parking_vlan: Annotated[int, Field(ge=1, le=4094)] = 999


class Uplink(_Model):
    capacity_mbit: Mbit
    medium: Literal["fibre", "radio", "copper"] = "fibre"


class LabHost(_Model):
    name: Name
    port: PortName


class SiteLab(_Model):
    user_hosts: list[LabHost] = []


class Site(_Model):
    opd: Text
    address: Text = ""
    kecamatan: Text
    distribution: PortRef
    access_switch: AccessSwitch
    uplink: Uplink
    lab: SiteLab = SiteLab()


class AppEndpoint(_Model):
    server: Name
    service: Name


class Rates(_Model):
    down: Annotated[int, Field(ge=0, le=10_000_000)]
    up: Annotated[int, Field(ge=0, le=10_000_000)]


class Application(_Model):
    """An intranet application an OPD can request (``applications.yaml``)."""

    name: Text
    endpoints: Annotated[list[AppEndpoint], Field(min_length=1)]
    per_user_kbit: Rates
    concurrency: Annotated[float, Field(gt=0, le=1)]
    qos: Literal["realtime", "video", "business", "bulk"] = "business"


@dataclass(frozen=True, slots=True)
class Device:
    """A managed device, with its platform resolved through groups and defaults."""

    name: str
    hostname: str
    port: int
    platform: Platform
    groups: tuple[str, ...]
    data: HostData


@dataclass(frozen=True, slots=True)
class Inventory:
    path: Path
    devices: Mapping[str, Device]
    links: tuple[Link, ...]
    servers: ServerCatalogue
    sites: Mapping[str, Site]
    defaults: DefaultsEntry
    applications: Mapping[str, Application]


ROUTING_GROUPS = frozenset({"core", "distribution"})
"""The inventory groups of the devices that route (``groups.yaml``: role ``core``, ``distribution``)."""


def routing_devices(inventory: Inventory) -> frozenset[str]:
    """The devices that route, by their role, whatever their platform: the members of
    :data:`ROUTING_GROUPS` and every site's gateway (its ``distribution.device``)."""
    grouped = {d.name for d in inventory.devices.values() if ROUTING_GROUPS & set(d.groups)}
    return frozenset(grouped | {site.distribution.device for site in inventory.sites.values()})


def relays_dhcp(inventory: Inventory, gateway: str) -> bool:
    """Whether the OPD gateway ``gateway`` relays its LAN's DHCP to the central server: its platform
    relays (its spec's ``templates.dhcp``) and ``servers.yaml`` names one. The lab's relays and the
    change's scope on that server both follow this."""
    platform = inventory.devices[gateway].platform
    return inventory.servers.dhcp is not None and spec_for(platform).templates.dhcp == "relays"


_M = TypeVar("_M", bound=BaseModel)


def read_yaml(path: Path, *, limit: int = MAX_YAML_BYTES) -> Any:
    """The YAML document of ``path`` (at most ``limit`` bytes); a YAML error is an InventoryError
    naming the file, line and column."""
    text = read_capped_text(path, limit=limit, error=InventoryError)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InventoryError(f"{where}: YAML error: {problem}") from None
    except RecursionError:
        raise InventoryError(f"{path}: YAML error: nested too deeply") from None


def _describe(exc: ValidationError, prefix: str) -> str:
    lines = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        lines.append(f"{loc}: {err['msg']}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines.append(f"... and {more} more")
    return "; ".join(lines)


def _parse(model: type[_M], raw: Any, path: Path, prefix: str = "") -> _M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InventoryError(f"{path}: {_describe(exc, prefix)}") from None


def _mapping(raw: Any, path: Path, *, allow_empty: bool = False) -> dict[str, Any]:
    if raw is None and allow_empty:
        return {}
    if not isinstance(raw, dict):
        raise InventoryError(f"{path}: expected a mapping of names to entries")
    for key in raw:
        if not isinstance(key, str) or not re.fullmatch(NAME_PATTERN, key):
            raise InventoryError(f"{path}: {key!r} is not a valid name (lower-case letters, digits and '-')")
    return raw


def _parse_entries(model: type[_M], raw: dict[str, Any], path: Path) -> dict[str, _M]:
    return {name: _parse(model, entry or {}, path, name) for name, entry in raw.items()}


def _resolve_platform(
    name: str,
    host: HostEntry,
    groups: Mapping[str, GroupEntry],
    defaults: DefaultsEntry,
    path: Path,
) -> Platform:
    if host.platform is not None:
        return host.platform
    seen: set[str] = set()

    def walk(group_names: list[str]) -> Iterator[GroupEntry]:
        for g in group_names:
            if g in seen:
                continue
            seen.add(g)
            group = groups[g]
            yield group
            yield from walk(group.groups)

    for group in walk(host.groups):
        if group.platform is not None:
            return group.platform
    if defaults.platform is not None:
        return defaults.platform
    raise InventoryError(f"{path}: {name}.platform: no platform set on the host, its groups or defaults")


def _load_devices(root: Path, defaults: DefaultsEntry) -> dict[str, Device]:
    groups_path = root / "groups.yaml"
    groups = _parse_entries(
        GroupEntry, _mapping(read_yaml(groups_path), groups_path, allow_empty=True), groups_path
    )
    for gname, group in groups.items():
        for parent in group.groups:
            if parent not in groups:
                raise InventoryError(f"{groups_path}: {gname}.groups: unknown group {parent!r}")
    hosts_path = root / "hosts.yaml"
    hosts = _parse_entries(HostEntry, _mapping(read_yaml(hosts_path), hosts_path), hosts_path)
    devices: dict[str, Device] = {}
    seen_mgmt: dict[tuple[str, int], str] = {}
    for name, host in hosts.items():
        for g in host.groups:
            if g not in groups:
                raise InventoryError(f"{hosts_path}: {name}.groups: unknown group {g!r}")
        if host.password is not None:
            raise InventoryError(
                f"{hosts_path}: {name}.password: credentials must not be kept in the inventory;"
                " use the environment or the secrets file (docs/credentials.md)"
            )
        port = host.port or defaults.port or 22
        key = (host.hostname, port)
        if key in seen_mgmt:
            raise InventoryError(
                f"{hosts_path}: {name}: duplicate management address {host.hostname}:{port}"
                f" (already used by {seen_mgmt[key]})"
            )
        seen_mgmt[key] = name
        devices[name] = Device(
            name=name,
            hostname=host.hostname,
            port=port,
            platform=_resolve_platform(name, host, groups, defaults, hosts_path),
            groups=tuple(host.groups),
            data=host.data,
        )
    return devices


class _Checker:
    """Cross-file checks: references exist, ports and addresses are used once."""

    def __init__(self, devices: Mapping[str, Device]) -> None:
        self.devices = devices
        self.ports: dict[tuple[str, str], str] = {}
        self.addresses: dict[ipaddress.IPv4Address, str] = {}

    def device(self, name: str, where: str) -> Device:
        if name not in self.devices:
            raise InventoryError(f"{where}: unknown device {name!r} (not in hosts.yaml)")
        return self.devices[name]

    def port(self, device: str, port: str, where: str) -> None:
        self.device(device, where)
        key = (device, port)
        if key in self.ports:
            raise InventoryError(f"{where}: port {device} {port} is already used by {self.ports[key]}")
        self.ports[key] = where

    def address(self, addr: ipaddress.IPv4Address, where: str) -> None:
        if addr in self.addresses:
            raise InventoryError(
                f"{where}: duplicate address {addr} (already used by {self.addresses[addr]})"
            )
        self.addresses[addr] = where


def _load_links(root: Path, check: _Checker) -> tuple[Link, ...]:
    path = root / "links.yaml"
    raw = read_yaml(path) or []
    if not isinstance(raw, list):
        raise InventoryError(f"{path}: expected a list of links")
    links = tuple(_parse(Link, entry, path, f"[{i}]") for i, entry in enumerate(raw))
    for i, link in enumerate(links):
        for side in ("a", "b"):
            end: Endpoint = getattr(link, side)
            where = f"{path}: [{i}].{side}"
            check.port(end.device, end.port, where)
            if end.address is not None:
                check.address(end.address.ip, where)
    return links


def _load_servers(root: Path, check: _Checker) -> ServerCatalogue:
    path = root / "servers.yaml"
    cat = _parse(ServerCatalogue, read_yaml(path), path)
    seg = cat.segment
    check.port(seg.gateway.device, seg.gateway.port, f"{path}: segment.gateway")
    check.port(seg.switch.device, seg.switch.port, f"{path}: segment.switch")
    if seg.gateway.address is None or seg.gateway.address.ip not in seg.subnet:
        raise InventoryError(f"{path}: segment.gateway.address must be an address inside {seg.subnet}")
    check.address(seg.gateway.address.ip, f"{path}: segment.gateway")
    for name, server in cat.servers.items():
        where = f"{path}: servers.{name}"
        if name in check.devices:
            raise InventoryError(f"{where}: name clashes with a device in hosts.yaml")
        if server.address not in seg.subnet:
            raise InventoryError(f"{where}.address: {server.address} is outside {seg.subnet}")
        check.address(server.address, where)
        check.port(seg.switch.device, server.switch_port, where)
    if cat.dhcp is not None:
        _check_dhcp(cat, path)
    return cat


def _check_dhcp(cat: ServerCatalogue, path: Path) -> None:
    assert cat.dhcp is not None
    if cat.dhcp.server not in cat.servers:
        raise InventoryError(f"{path}: dhcp.server: unknown server {cat.dhcp.server!r} (not in servers)")
    url = urllib.parse.urlsplit(cat.dhcp.control_url)
    loopback = is_loopback(url.hostname or "")
    if url.scheme not in ("https", "http") or not url.hostname or (url.scheme == "http" and not loopback):
        raise InventoryError(
            f"{path}: dhcp.control_url: {cat.dhcp.control_url!r} must be an https:// URL of the Kea Control"
            " Agent (http:// only on a loopback address)"
        )


def _load_sites(root: Path, check: _Checker, servers: ServerCatalogue) -> dict[str, Site]:
    path = root / "sites.yaml"
    sites = _parse_entries(Site, _mapping(read_yaml(path), path), path)
    lab_names: set[str] = set(servers.servers)
    for name, site in sites.items():
        where = f"{path}: {name}"
        check.port(site.distribution.device, site.distribution.port, f"{where}.distribution")
        sw = site.access_switch
        check.port(sw.device, sw.uplink, f"{where}.access_switch")
        for host in site.lab.user_hosts:
            if host.name in check.devices or host.name in lab_names:
                raise InventoryError(f"{where}.lab.user_hosts: duplicate host name {host.name!r}")
            lab_names.add(host.name)
            check.port(sw.device, host.port, f"{where}.lab.user_hosts.{host.name}")
    return sites


def _load_applications(root: Path, servers: ServerCatalogue) -> dict[str, Application]:
    path = root / "applications.yaml"
    apps = _parse_entries(Application, _mapping(read_yaml(path), path), path)
    for name, app in apps.items():
        for i, ep in enumerate(app.endpoints):
            server = servers.servers.get(ep.server)
            where = f"{path}: {name}.endpoints[{i}]"
            if server is None:
                raise InventoryError(f"{where}.server: unknown server {ep.server!r} (not in servers.yaml)")
            if ep.service not in {s.name for s in server.services}:
                raise InventoryError(f"{where}.service: {ep.server} has no service {ep.service!r}")
    return apps


def load_inventory(path: str | Path) -> Inventory:
    """Read and validate every file of the inventory directory at ``path``."""
    root = Path(path)
    if not root.is_dir():
        raise InventoryError(f"{root}: inventory directory not found")
    defaults_path = root / "defaults.yaml"
    defaults = _parse(DefaultsEntry, read_yaml(defaults_path) or {}, defaults_path)
    devices = _load_devices(root, defaults)
    check = _Checker(devices)
    links = _load_links(root, check)
    servers = _load_servers(root, check)
    sites = _load_sites(root, check, servers)
    applications = _load_applications(root, servers)
    return Inventory(
        path=root,
        devices=devices,
        links=links,
        servers=servers,
        sites=sites,
        defaults=defaults,
        applications=applications,
    )
