"""The plan: the typed result of the needs analysis (SOP step 4), stored on the ticket.

The plan is the only input of rendering: everything a template needs is here.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AppDemand(_Model):
    app: str
    name: str
    active_users: float
    down_kbit: float
    up_kbit: float
    qos: str


class Bandwidth(_Model):
    down_mbit: int
    up_mbit: int
    demand_down_kbit: float
    demand_up_kbit: float
    headroom: float
    per_app: tuple[AppDemand, ...]


class Addressing(_Model):
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Interface
    reserved_first: ipaddress.IPv4Address
    reserved_last: ipaddress.IPv4Address
    dhcp_first: ipaddress.IPv4Address
    dhcp_last: ipaddress.IPv4Address
    hosts_needed: int
    hosts_available: int


class PortAssignment(_Model):
    device: str
    port: str
    role: Literal["gateway", "uplink", "access"]
    vlan: int | None
    description: str


class Route(_Model):
    device: str
    prefix: ipaddress.IPv4Network
    nexthop: ipaddress.IPv4Address
    description: str


class AccessRule(_Model):
    name: str
    destination: ipaddress.IPv4Address
    protocol: Literal["tcp", "udp"]
    port: int
    qos: str


class EquipmentItem(_Model):
    item: str
    model: str
    count: int
    unit: str
    note: str = ""


class Check(_Model):
    name: str
    ok: bool
    detail: str


class Schedule(_Model):
    start: dt.datetime
    end: dt.datetime
    label: str


class Plan(_Model):
    ticket_id: str
    site: str
    opd: str
    users: int
    applications: tuple[str, ...]
    bandwidth: Bandwidth
    vlan: int | None
    addressing: Addressing | None
    ports: tuple[PortAssignment, ...]
    routes: tuple[Route, ...]
    access_rules: tuple[AccessRule, ...]
    equipment: tuple[EquipmentItem, ...]
    checks: tuple[Check, ...]
    available: bool
    problems: tuple[str, ...]
    schedule: Schedule | None
    analysed_at: dt.datetime
    facts_gathered_at: dt.datetime


class Allocation(_Model):
    """What an earlier plan holds: its subnet, VLAN and bandwidth (from the ticket store)."""

    ticket_id: str
    site: str
    subnet: ipaddress.IPv4Network | None
    vlan: int | None
    down_mbit: int
    up_mbit: int
    distribution_device: str
    schedule: Schedule | None = None

    @classmethod
    def of(cls, plan: Plan, *, schedule: Schedule | None = None) -> Allocation:
        """What ``plan`` holds; ``schedule`` overrides the plan's proposed slot (e.g. the agreed one)."""
        gateway = next((p for p in plan.ports if p.role == "gateway"), None)
        return cls(
            ticket_id=plan.ticket_id,
            site=plan.site,
            subnet=plan.addressing.subnet if plan.addressing else None,
            vlan=plan.vlan,
            down_mbit=plan.bandwidth.down_mbit,
            up_mbit=plan.bandwidth.up_mbit,
            distribution_device=gateway.device if gateway else "",
            schedule=schedule or plan.schedule,
        )
