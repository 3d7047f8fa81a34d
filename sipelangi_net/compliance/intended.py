"""The intended config of every device (pure): its platform baseline plus what tickets installed.

The baseline is rendered from ``templates/<platform>/`` for the device's node of the topology
that the inventory describes and the city policy (``inventory/policy.yaml``: NTP, DNS, syslog,
SNMP, AAA, banner). For FRR it is the very ``base.j2`` the lab boots from (hostname, logging,
interfaces and addresses, routes), so a fresh lab is compliant; for the vendor platforms it is
the policy's lines and the hostname. Then every
*provisioned* ticket (SOP step 7 done) is merged in, oldest first, exactly as deploy merged
it: its snippet's lines are added and its single-valued lines replace the baseline's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hier_config import get_hconfig

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.analysis.stored import plan_of
from sipelangi_net.change.diff import HIER_RULES, OVS_LINE, _merge_target
from sipelangi_net.change.render import Intended, render, render_plan
from sipelangi_net.compliance.policy import Policy, load_policy
from sipelangi_net.errors import ConfigError, MalformedTicketError
from sipelangi_net.inventory import Inventory
from sipelangi_net.platforms import PLATFORMS, Platform, spec_for
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Skipped, skip

BASELINES: Mapping[Platform, str] = MappingProxyType({p: s.compliance.baseline for p, s in PLATFORMS.items()})
"""Per platform: the template of a device's baseline, rendered with its topology node and the
city policy (``inventory/policy.yaml``). FRR and OVS: the whole intended config; the vendor
platforms: the city policy's lines (see :data:`sipelangi_net.compliance.compare.POLICY_ONLY`)."""
PROVISIONED_STEP = 7
DOING = "the intended configs (compliance)"


@dataclass(frozen=True, slots=True)
class Provisioned:
    """A ticket whose change is on the devices: its id and its plan."""

    ticket_id: str
    plan: Plan


def provisioned(tickets: Iterable[Ticket], *, skipped: list[Skipped] | None = None) -> list[Provisioned]:
    """Tickets whose latest installation (step 7) succeeded, in the order they were installed.

    A ticket whose stored plan is malformed (or missing) is skipped: a warning in the log and an
    entry in ``skipped`` — one bad record never stops the check of the whole fleet.
    """
    found: list[tuple[Any, Provisioned]] = []
    for ticket in tickets:
        installs = [e for e in ticket.events if e.step == PROVISIONED_STEP]
        if not installs or installs[-1].outcome != "done":
            continue
        try:
            plan = plan_of(ticket)
        except MalformedTicketError as exc:
            _skip(skipped, skip(ticket.id, str(exc), doing=DOING))
            continue
        if plan is None:
            why = f"ticket {ticket.id}: installed (step 7) but holds no plan (step 4)"
            _skip(skipped, skip(ticket.id, why, doing=DOING))
            continue
        found.append((installs[-1].ended_at, Provisioned(ticket.id, plan)))
    return [p for _, p in sorted(found, key=lambda item: item[0])]


def _skip(skipped: list[Skipped] | None, what: Skipped) -> None:
    if skipped is not None:
        skipped.append(what)


def _merge_ovs(base: str, snippet: str) -> str:
    """OVS ``port NAME KEY=VALUE`` lines: the snippet's value of a port attribute replaces the base's."""
    values: dict[tuple[str, str], str] = {}
    for text in (base, snippet):
        for line in text.splitlines():
            match = OVS_LINE.fullmatch(line.strip())
            if match:
                values[match["port"], match["key"]] = match["value"].strip()
    return "".join(f"port {port} {key}={value}\n" for (port, key), value in values.items())


def _merge_hier(platform: Platform, base: str, snippet: str) -> str:
    rules = HIER_RULES[platform]
    driver = rules.driver()
    merged = _merge_target(rules, get_hconfig(driver, base), get_hconfig(driver, snippet))
    return "".join(child.cisco_style_text() + "\n" for child in merged.all_children())


def merge(platform: Platform, base: str, snippet: str) -> str:
    """``base`` with ``snippet`` merged in, as a deploy of the snippet leaves it (pure)."""
    if spec_for(platform).config.format == "ovs-json":
        return _merge_ovs(base, snippet)
    return _merge_hier(platform, base, snippet)


def intended_configs(
    inventory: Inventory,
    tickets: Iterable[Provisioned] = (),
    *,
    devices: Iterable[str] | None = None,
    root: Path | None = None,
    skipped: list[Skipped] | None = None,
    policy: Policy | None = None,
) -> dict[str, Intended]:
    """The whole intended config of ``devices`` (default: all of the inventory).

    ``policy``: the city policy (default: ``policy.yaml`` of the inventory's folder).

    A ticket whose plan cannot be rendered any more (a device or port no longer in the inventory,
    text a template refuses) is skipped and reported (``skipped``); the others are merged.
    """
    from sipelangi_net.lab.topology import build_topology

    topology = build_topology(inventory, lab_only=False)
    policy = load_policy(inventory.path) if policy is None else policy
    names = sorted(devices) if devices is not None else sorted(inventory.devices)
    out: dict[str, Intended] = {}
    for name in names:
        dev = inventory.devices[name]
        template = BASELINES.get(dev.platform)
        if template is None:
            raise ConfigError(f"{name}: no compliance baseline for platform {dev.platform} yet")
        text = render(
            template, root=root, node=topology.nodes[name], data=inventory.defaults.data, policy=policy
        )
        out[name] = Intended(device=name, platform=dev.platform.value, text=text)
    for ticket in tickets:
        try:
            snippets = render_plan(ticket.plan, inventory, root=root)
        except ConfigError as exc:
            _skip(skipped, skip(ticket.ticket_id, str(exc), doing=DOING))
            continue
        for name, snippet in snippets.items():
            if name in out:
                platform = Platform(snippet.platform)
                out[name] = Intended(name, snippet.platform, merge(platform, out[name].text, snippet.text))
    return out
