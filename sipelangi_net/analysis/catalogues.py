"""The planning catalogues of ``inventory/``: address pools, equipment models, planning assumptions.

Validated on load like the rest of the inventory: errors name the file and the field.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sipelangi_net.analysis.schedule import Calendar, load_calendar
from sipelangi_net.errors import InventoryError
from sipelangi_net.inventory import Inventory, Text, _parse, load_inventory, read_yaml


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VlanRange(_Model):
    first: Annotated[int, Field(ge=2, le=4094)]
    last: Annotated[int, Field(ge=2, le=4094)]

    @model_validator(mode="after")
    def _ordered(self) -> VlanRange:
        if self.first > self.last:
            raise ValueError("first must not be above last")
        return self


class Ipam(_Model):
    opd_pool: ipaddress.IPv4Network
    growth: Annotated[float, Field(ge=0, le=5)]
    reserved_hosts: Annotated[int, Field(ge=0, le=250)]
    largest_prefix: Annotated[int, Field(ge=16, le=30)]
    smallest_prefix: Annotated[int, Field(ge=16, le=30)]
    vlans: VlanRange

    @model_validator(mode="after")
    def _prefixes(self) -> Ipam:
        if self.largest_prefix > self.smallest_prefix:
            raise ValueError("largest_prefix must be a larger block (smaller number) than smallest_prefix")
        if self.largest_prefix < self.opd_pool.prefixlen:
            raise ValueError("largest_prefix is larger than the pool itself")
        return self


class SwitchModel(_Model):
    name: Text
    ports: Annotated[int, Field(ge=1, le=96)]
    poe_budget_w: Annotated[int, Field(ge=0, le=5000)]


class ApModel(_Model):
    name: Text
    users: Annotated[int, Field(ge=1, le=500)]
    poe_w: Annotated[int, Field(ge=0, le=100)]


class Cabling(_Model):
    name: Text
    average_run_m: Annotated[int, Field(ge=1, le=100)]


class Planning(_Model):
    wired_share: Annotated[float, Field(ge=0, le=1)]
    default_switch: str
    existing_switch_poe_budget_w: Annotated[int, Field(ge=0)]
    access_point: str


class BandwidthPolicy(_Model):
    headroom: Annotated[float, Field(ge=1, le=10)]
    minimum_mbit: Annotated[int, Field(ge=1, le=10_000)]


class Equipment(_Model):
    switches: dict[str, SwitchModel]
    access_points: dict[str, ApModel]
    cabling: dict[str, Cabling]
    planning: Planning
    bandwidth: BandwidthPolicy

    @model_validator(mode="after")
    def _references(self) -> Equipment:
        if self.planning.default_switch not in self.switches:
            raise ValueError(
                f"planning.default_switch: unknown switch model {self.planning.default_switch!r}"
            )
        if self.planning.access_point not in self.access_points:
            raise ValueError(
                f"planning.access_point: unknown access point model {self.planning.access_point!r}"
            )
        if "utp" not in self.cabling:
            raise ValueError("cabling: a 'utp' entry is required")
        return self


@dataclass(frozen=True, slots=True)
class Catalogues:
    """Everything the needs analysis reads from ``inventory/``."""

    inventory: Inventory
    ipam: Ipam
    equipment: Equipment
    calendar: Calendar


def load_catalogues(path: Path) -> Catalogues:
    inventory = load_inventory(path)
    ipam_path, devices_path = path / "ipam.yaml", path / "devices.yaml"
    ipam = _parse(Ipam, read_yaml(ipam_path), ipam_path)
    equipment = _parse(Equipment, read_yaml(devices_path), devices_path)
    for name, site in inventory.sites.items():
        if ipam.vlans.first <= site.access_switch.parking_vlan <= ipam.vlans.last:
            raise InventoryError(
                f"{path / 'sites.yaml'}: {name}.access_switch.parking_vlan: {site.access_switch.parking_vlan}"
                f" lies inside the OPD VLAN range {ipam.vlans.first}-{ipam.vlans.last} of ipam.yaml"
            )
    return Catalogues(inventory, ipam, equipment, load_calendar(path / "calendar.yaml"))
