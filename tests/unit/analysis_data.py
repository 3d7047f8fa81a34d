"""Synthetic live facts for analysis tests: what the day-0 lab devices run, derived from the topology."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sipelangi_net.analysis.catalogues import Catalogues, load_catalogues
from sipelangi_net.analysis.facts import DeviceFacts, LiveFacts
from sipelangi_net.lab.topology import build_topology

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


def catalogues(path: Path | None = None) -> Catalogues:
    return load_catalogues(path or ROOT / "inventory")


def day0_facts(cat: Catalogues, *, at: dt.datetime = NOW) -> LiveFacts:
    topo = build_topology(cat.inventory)
    devices = {}
    for node in topo.devices:
        if node.kind == "router":
            addrs = {i.name: ((i.address,) if i.address else ()) for i in node.interfaces}
            if node.loopback:
                addrs["lo"] = (node.loopback,)
            devices[node.name] = DeviceFacts(
                device=node.name,
                platform="frr",
                reachable=True,
                addresses=addrs,
                routes=tuple(r.prefix for r in node.routes),
            )
        else:
            devices[node.name] = DeviceFacts(
                device=node.name,
                platform="ovs",
                reachable=True,
                port_vlans={i.name: i.vlan for i in node.interfaces},
            )
    return LiveFacts(devices=devices, gathered_at=at)
