"""What the OPD change templates get besides the plan (pure: plan + inventory in, values out).

- the **handoff** between the gateway router and the access switch: ``tagged`` (the switch
  uplink a trunk carrying the OPD VLAN, the gateway a tagged sub-interface, SVI or VLAN
  interface) when both platforms' templates can do it, else ``untagged`` (the uplink an access
  port in the OPD VLAN, the gateway a routed port). FRR's vtysh cannot create a VLAN
  interface and the OVS template gives a port one ``tag``: a pair with either is untagged
  (the lab's FRR/OVS pair is, as it always was);
- the **filter rules the SOP itself needs** (besides ``plan.access_rules``, which hold the
  requested applications, DNS and NTP): the iperf3 server (TCP and UDP on its port) and the
  speedtest server of step 8, from ``inventory/servers.yaml``; ICMP between the OPD and the
  Diskominfo server segment is the template's own line, from :attr:`Handoff.segment`;
- the **QoS classes**: the requested rules grouped by the application's ``qos`` class, with
  the DSCP each class is marked with (:data:`QOS_DSCP`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Literal

from sipelangi_net.analysis.plan import AccessRule, Plan
from sipelangi_net.platforms import PLATFORMS

TAGGED_GATEWAY = frozenset(p for p, spec in PLATFORMS.items() if spec.templates.tagged_gateway)
"""Gateway platforms whose ``opd.j2`` can face a trunk (IOS ``X.VLAN`` sub-interface, EOS SVI,
Junos ``vlan-tagging`` unit, RouterOS ``/interface vlan``). Not FRR: vtysh cannot create the
kernel's VLAN interface."""
TRUNK_UPLINK = frozenset(p for p, spec in PLATFORMS.items() if spec.templates.trunk_uplink)
"""Switch platforms whose ``opd.j2`` can make the uplink a trunk. Not OVS (the template sets one
``tag``, an access port). Junos (EX, ELS): ``interface-mode trunk`` with the OPD VLAN added to
the port's ``vlan members``."""

QOS_DSCP: Mapping[str, tuple[str, int]] = MappingProxyType(
    {
        "realtime": ("ef", 46),
        "video": ("af41", 34),
        "business": ("af21", 18),
        "bulk": ("af11", 10),
    }
)
"""Per ``qos`` class of inventory/applications.yaml: the DSCP name and value it is marked with
(RFC 4594: telephony/conferencing EF, multimedia AF41, transactional AF21, bulk data AF11)."""

SOP_SERVICES: Mapping[str, tuple[Literal["tcp", "udp"], ...]] = MappingProxyType(
    {"iperf3": ("tcp", "udp"), "speedtest": ("tcp",)}
)
"""The services of servers.yaml the bandwidth test (SOP step 8) uses, and the protocols it sends
to their port (iperf3's UDP test runs on the same port as its TCP control connection)."""


@dataclass(frozen=True, slots=True)
class QosClass:
    """One class of the requested applications: its name, DSCP and the rules that match it."""

    name: str
    dscp: str
    dscp_value: int
    rules: tuple[AccessRule, ...]


@dataclass(frozen=True, slots=True)
class Handoff:
    """The template values of :func:`opd_context` (see the module docstring)."""

    handoff: Literal["tagged", "untagged"]
    sop_rules: tuple[AccessRule, ...]
    segment: ipaddress.IPv4Network
    qos: tuple[QosClass, ...]

    def as_context(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def handoff(plan: Plan, inventory: Any) -> Literal["tagged", "untagged"]:
    """``tagged`` when the site's distribution router and access switch can both tag (see the
    module docstring): a property of the site's gear, whichever of its ports the plan lists."""
    site = inventory.sites[plan.site]
    gateway = inventory.devices[site.distribution.device].platform
    uplink = inventory.devices[site.access_switch.device].platform
    return "tagged" if gateway in TAGGED_GATEWAY and uplink in TRUNK_UPLINK else "untagged"


def sop_rules(inventory: Any) -> tuple[AccessRule, ...]:
    """The bandwidth-test servers' rules (servers.yaml), unmarked (``qos`` empty: best effort)."""
    rules = []
    for server in inventory.servers.servers.values():
        for svc in server.services:
            for protocol in SOP_SERVICES.get(svc.name, ()):
                rule = AccessRule(
                    name=svc.name, destination=server.address, protocol=protocol, port=svc.port, qos=""
                )
                rules.append(rule)
    return tuple(rules)


def qos_classes(plan: Plan) -> tuple[QosClass, ...]:
    """The plan's requested application rules per QoS class, in :data:`QOS_DSCP`'s order.

    DNS and NTP (``plan.access_rules`` named ``dns``/``ntp``) are infrastructure, not a
    requested application: they are not marked.
    """
    apps = set(plan.applications)
    out = []
    for name, (dscp, value) in QOS_DSCP.items():
        rules = tuple(r for r in plan.access_rules if r.qos == name and r.name in apps)
        if rules:
            out.append(QosClass(name=name, dscp=dscp, dscp_value=value, rules=rules))
    return tuple(out)


def opd_context(plan: Plan, inventory: Any) -> dict[str, Any]:
    """The values every ``templates/<platform>/opd.j2`` gets besides the plan."""
    return Handoff(
        handoff=handoff(plan, inventory),
        sop_rules=sop_rules(inventory),
        segment=inventory.servers.segment.subnet,
        qos=qos_classes(plan),
    ).as_context()
