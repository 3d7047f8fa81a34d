#!/usr/bin/env python3
"""Benchmark the needs analysis: 1,000 requests against a 200-site city inventory.

Usage: .venv/bin/python bench/analysis_bench.py [--sites 200] [--requests 1000]

The inventory is generated (sipelangi_net.lab.generate); the live facts are
what its day-0 devices run (derived from the lab topology, no devices needed).
Requests are analysed one after another, each seeing the allocations (subnet,
VLAN, bandwidth, installation slot) of all earlier available plans, as the ticket
store would hold them. Only the analysis is timed.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
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
from sipelangi_net.analysis.plan import Allocation  # noqa: E402
from sipelangi_net.lab.generate import generate_inventory  # noqa: E402
from sipelangi_net.tickets.models import Request  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(20261128)
    with tempfile.TemporaryDirectory() as tmp:
        cat = load_catalogues(generate_inventory(Path(tmp) / "inventory", sites=args.sites))
    facts = day0_facts(cat)
    sites, apps = sorted(cat.inventory.sites), sorted(cat.inventory.applications)
    requests = [
        Request.model_validate(
            {
                "opd": f"OPD {i}",
                "site": rng.choice(sites),
                "users": rng.randint(5, 120),
                "applications": rng.sample(apps, rng.randint(1, 4)),
                "pic": {"name": "PIC", "phone": "+62 812 0000 0000", "email": "pic@pangkalpinangkota.go.id"},
                "letter": {"number": f"{i}/2026", "date": "2026-11-20"},
            }
        )
        for i in range(args.requests)
    ]
    existing: list[Allocation] = []
    per_request = []
    available = 0
    t0 = time.perf_counter()
    for i, req in enumerate(requests):
        t1 = time.perf_counter()
        plan = analyze(Inputs(f"SPL-2026-{i + 1:05d}", req, cat, facts, tuple(existing), NOW))
        per_request.append(time.perf_counter() - t1)
        available += plan.available
        if not plan.available:
            continue  # the store keeps failed analyses (step 4 failed) but they hold nothing
        existing.append(Allocation.of(plan))
    total = time.perf_counter() - t0
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    per_request.sort()
    print(f"sites {args.sites}, devices {len(cat.inventory.devices)}, requests {args.requests}")
    print(
        f"total {total:.2f} s, median {statistics.median(per_request) * 1000:.2f} ms,"
        f" p99 {per_request[int(len(per_request) * 0.99)] * 1000:.2f} ms,"
        f" peak RSS of the process {peak_rss / 1024:.0f} MiB"
    )
    print(f"available {available}, not available {args.requests - available}")


if __name__ == "__main__":
    main()
