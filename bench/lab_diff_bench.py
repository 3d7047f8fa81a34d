#!/usr/bin/env python3
"""Benchmark a dry-run diff over every device of the running lab (root, lab up first).

Usage: flock /run/lock/sipelangi-net-lab-tests.lock .venv/bin/python bench/lab_diff_bench.py [--runs 3]

For every lab device, in parallel (as ``deploy`` does): connect over SSH with the verified
host key, read the running config, and diff it with (a) the device's day-0 intended config
(scope replace: expected "no changes") and (b) the snippet of every site's plan that touches
it (scope merge). Nothing is sent but the read commands; the bench checks that every device's
running config is byte-identical before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from analysis_data import NOW, day0_facts  # noqa: E402

from sipelangi_net.analysis.analyze import Inputs, analyze  # noqa: E402
from sipelangi_net.analysis.catalogues import load_catalogues  # noqa: E402
from sipelangi_net.change.diff import diff_device  # noqa: E402
from sipelangi_net.change.render import render_plan  # noqa: E402
from sipelangi_net.compliance.intended import intended_configs  # noqa: E402
from sipelangi_net.credentials import load_credentials  # noqa: E402
from sipelangi_net.drivers.lab import open_driver  # noqa: E402
from sipelangi_net.paths import lab_dir  # noqa: E402
from sipelangi_net.platforms import Platform  # noqa: E402
from sipelangi_net.tickets.models import Request  # noqa: E402


def day0_intended(cat):  # type: ignore[no-untyped-def]
    """Per device, its day-0 intended config: the compliance baseline, no ticket provisioned."""
    return {name: i.text for name, i in intended_configs(cat.inventory).items()}


def site_snippets(cat):  # type: ignore[no-untyped-def]
    """Per device, the intended snippets of one plan per lab site."""
    facts = day0_facts(cat)
    apps = sorted(cat.inventory.applications)[:2]
    out: dict[str, list[tuple[str, str]]] = {}
    for n, site in enumerate(sorted(cat.inventory.sites), start=1):
        req = Request.model_validate(
            {
                "opd": f"OPD {site}",
                "site": site,
                "users": 5,
                "applications": apps,
                "pic": {"name": "PIC", "phone": "+62 812 0000 0000", "email": "pic@pangkalpinangkota.go.id"},
                "letter": {"number": "1/2026", "date": "2026-11-20"},
            }
        )
        plan = analyze(Inputs(f"SPL-2026-{n:05d}", req, cat, facts, (), NOW))
        for device, intended in render_plan(plan, cat.inventory).items():
            out.setdefault(device, []).append((intended.platform, intended.text))
    return out


def one_run(cat, creds, day0, snippets):  # type: ignore[no-untyped-def]
    devices = sorted(day0)

    def read(name: str) -> tuple[str, str, float]:
        t = time.perf_counter()
        drv = open_driver(cat.inventory.devices[name], creds)
        drv.open()
        try:
            return name, drv.get_config(), time.perf_counter() - t
        finally:
            drv.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        running = {name: text for name, text, _ in pool.map(read, devices)}
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    drift = commands = 0
    for name in devices:
        platform = Platform(cat.inventory.devices[name].platform)
        d0 = diff_device(name, platform, running[name], day0[name], scope="replace")
        if d0.changed:
            drift += 1
            print(f"  day-0 drift {name}: {'; '.join(d0.commands)[:200]}")
        for _plat, text in snippets.get(name, []):
            commands += len(diff_device(name, platform, running[name], text).commands)
    t_diff = time.perf_counter() - t1
    return running, t_read, t_diff, drift, commands


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cat = load_catalogues(ROOT / "inventory")
    creds = load_credentials(lab_dir() / "secrets.yaml")
    day0, snippets = day0_intended(cat), site_snippets(cat)
    totals, reads, diffs = [], [], []
    before = None
    for _ in range(args.runs):
        running, t_read, t_diff, drift, commands = one_run(cat, creds, day0, snippets)
        if before is not None and running != before:
            raise SystemExit("a device's running config changed during the dry runs")
        before = running
        totals.append(t_read + t_diff)
        reads.append(t_read)
        diffs.append(t_diff)
    print(
        f"dry-run diff over {len(day0)} lab devices ({sum(map(len, snippets.values()))} plan snippets"
        f" of {len(cat.inventory.sites)} sites, {commands} commands; day-0 drift on {drift} devices):"
        f" median {statistics.median(totals):.2f} s (connect + read {statistics.median(reads):.2f} s,"
        f" diff {statistics.median(diffs) * 1000:.0f} ms), {args.runs} runs; running configs unchanged"
    )


if __name__ == "__main__":
    main()
