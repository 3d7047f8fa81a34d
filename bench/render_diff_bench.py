#!/usr/bin/env python3
"""Benchmark render + diff (pure) over 1,000 device configs, and a dry-run diff over the lab.

Usage: .venv/bin/python bench/render_diff_bench.py [--sites 200] [--plans 400] [--lab TICKET_DB TICKET]

Plans come from the analysis of requests against a generated city (as bench/analysis_bench.py);
each plan touches 2-3 devices. The running configs are the devices' day-0 configs (FRR: the
rendered base config; OVS: the port table), so every diff has work to do. Only render + diff is timed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from analysis_data import NOW, day0_facts  # noqa: E402

from sipelangi_net.analysis.analyze import Inputs, analyze  # noqa: E402
from sipelangi_net.analysis.catalogues import load_catalogues  # noqa: E402
from sipelangi_net.change.diff import diff_device  # noqa: E402
from sipelangi_net.change.render import render, render_plan  # noqa: E402
from sipelangi_net.lab.generate import generate_inventory  # noqa: E402
from sipelangi_net.lab.topology import build_topology  # noqa: E402
from sipelangi_net.platforms import Platform  # noqa: E402
from sipelangi_net.tickets.models import Request  # noqa: E402


def day0_running(cat):  # type: ignore[no-untyped-def]
    out = {}
    for node in build_topology(cat.inventory).devices:
        if node.platform is Platform.FRR:
            out[node.name] = render("frr/base.j2", node=node) + "end\n"
        else:
            rows = [
                [i.name, i.vlan if i.vlan else ["set", []], ["map", [["description", i.description]]]]
                for i in node.interfaces
            ]
            out[node.name] = json.dumps({"data": rows, "headings": ["name", "tag", "external_ids"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--configs", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        cat = load_catalogues(generate_inventory(Path(tmp) / "inventory", sites=args.sites))
    facts, running = day0_facts(cat), day0_running(cat)
    sites, apps = sorted(cat.inventory.sites), sorted(cat.inventory.applications)
    plans = []
    while (
        sum(len({p.device for p in pl.ports} | {r.device for r in pl.routes}) for pl in plans) < args.configs
    ):
        req = Request.model_validate(
            {
                "opd": f"OPD {len(plans)}",
                "site": rng.choice(sites),
                "users": rng.randint(5, 60),
                "applications": rng.sample(apps, 2),
                "pic": {"name": "PIC", "phone": "+62 812 0000 0000", "email": "pic@pangkalpinangkota.go.id"},
                "letter": {"number": "1/2026", "date": "2026-11-20"},
            }
        )
        plan = analyze(Inputs(f"SPL-2026-{len(plans) + 1:05d}", req, cat, facts, (), NOW))
        if plan.available:
            plans.append(plan)
    t0 = time.perf_counter()
    configs = commands = 0
    for plan in plans:
        for device, intended in render_plan(plan, cat.inventory).items():
            d = diff_device(device, Platform(intended.platform), running[device], intended.text)
            configs += 1
            commands += len(d.commands)
    total = time.perf_counter() - t0
    print(
        f"render + diff of {configs} device configs ({len(plans)} plans): {total:.2f} s"
        f" ({total / configs * 1000:.2f} ms per config, {commands} commands)"
    )


if __name__ == "__main__":
    main()
