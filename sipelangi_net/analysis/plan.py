"""The plan: the typed result of the needs analysis (SOP step 4), stored on the ticket.

The plan is the only input of rendering: everything a template needs is here. A plan read
back from a store (SQLite, HTTP, a hostile server) is as untrusted as user input, so every
field is typed tightly: device and port names match the inventory's patterns, text is one line
of printable characters (no CR/LF: a newline in a port name would be a CLI injection),
numbers are finite and in range.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from sipelangi_net.inventory import NAME_PATTERN, PORT_PATTERN
from sipelangi_net.validate import safe_text

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
"""A device, site, application or server key of the inventory."""
PortName = Annotated[str, StringConstraints(pattern=PORT_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=2000), AfterValidator(safe_text)]
CliLine = Annotated[str, StringConstraints(max_length=80), AfterValidator(safe_text)]
TicketId = Annotated[str, StringConstraints(pattern=r"^SPL-\d{4}-\d{5}$")]
Vlan = Annotated[int, Field(ge=1, le=4094)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Rate = Annotated[float, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class AppDemand(_Model):
    app: Name
    name: Text
    active_users: Rate
    down_kbit: Rate
    up_kbit: Rate
    qos: Text


class Bandwidth(_Model):
    down_mbit: Count
    up_mbit: Count
    demand_down_kbit: Rate
    demand_up_kbit: Rate
    headroom: Rate
    per_app: tuple[AppDemand, ...]


class Addressing(_Model):
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Interface
    reserved_first: ipaddress.IPv4Address
    reserved_last: ipaddress.IPv4Address
    dhcp_first: ipaddress.IPv4Address
    dhcp_last: ipaddress.IPv4Address
    hosts_needed: Count
    hosts_available: Count


class PortAssignment(_Model):
    device: Name
    port: PortName
    role: Literal["gateway", "uplink", "access"]
    vlan: Vlan | None
    description: CliLine


class Route(_Model):
    device: Name
    prefix: ipaddress.IPv4Network
    nexthop: ipaddress.IPv4Address
    description: CliLine


class AccessRule(_Model):
    name: Name
    destination: ipaddress.IPv4Address
    protocol: Literal["tcp", "udp"]
    port: Annotated[int, Field(ge=1, le=65535)]
    qos: Text


class EquipmentItem(_Model):
    item: Text
    model: Text
    count: Count
    unit: Text
    note: Text = ""


class Check(_Model):
    name: Text
    ok: bool
    detail: Text


class Schedule(_Model):
    start: dt.datetime
    end: dt.datetime
    label: Text


class Plan(_Model):
    ticket_id: TicketId
    site: Name
    opd: Text
    users: Count
    applications: tuple[Name, ...]
    bandwidth: Bandwidth
    vlan: Vlan | None
    addressing: Addressing | None
    ports: tuple[PortAssignment, ...]
    routes: tuple[Route, ...]
    access_rules: tuple[AccessRule, ...]
    equipment: tuple[EquipmentItem, ...]
    checks: tuple[Check, ...]
    available: bool
    problems: tuple[Text, ...]
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
