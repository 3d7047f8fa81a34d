#!/usr/bin/env python3
"""Benchmark the lab: time of `lab up` and `lab down`, and the lab's memory.

Usage (root): .venv/bin/python bench/lab_bench.py [--runs 3] [--sites 50]

Runs the real CLI for the shipped inventory and for a generated city of
--sites OPD sites. Memory is the proportional set size (PSS) of every process
inside the lab's namespaces, plus the drop in MemAvailable (which also counts
kernel memory: namespaces, veths, qdiscs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sipelangi_net.lab.generate import generate_inventory  # noqa: E402
from sipelangi_net.lab.runtime import LabPaths, our_netns, pids_in_namespaces  # noqa: E402
from sipelangi_net.paths import lab_dir  # noqa: E402

CLI = str(Path(sys.executable).with_name("sipelangi-net"))


def mem_available_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    raise RuntimeError("no MemAvailable")


def lab_pss_kib() -> tuple[int, int]:
    paths = LabPaths(lab_dir())
    files = [Path("/run/netns") / n for n in our_netns()] + list(paths.ns.iterdir())
    total = 0
    pids = pids_in_namespaces(files)
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total, len(pids)


def timed(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([CLI, *args], check=True, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - t0


def bench(label: str, inventory: Path, runs: int) -> dict[str, object]:
    subprocess.run([CLI, "lab", "down"], check=True, capture_output=True)
    ups, downs, pss, avail, nprocs = [], [], [], [], []
    for _ in range(runs):
        before = mem_available_kib()
        ups.append(timed("lab", "up", "--inventory", str(inventory)))
        time.sleep(1.0)  # let daemons settle before measuring memory
        p, n = lab_pss_kib()
        pss.append(p)
        nprocs.append(n)
        avail.append(before - mem_available_kib())
        proc = subprocess.run([CLI, "lab", "status", "--json"], check=False, capture_output=True, text=True)
        status = json.loads(proc.stdout)
        assert status["state"] == "up", status["problems"]
        devices, hosts = len(status["devices"]), len(status["hosts"])
        downs.append(timed("lab", "down"))
    return {
        "lab": label,
        "devices": devices,
        "hosts": hosts,
        "processes": nprocs[-1],
        "up_s_median": round(statistics.median(ups), 2),
        "up_s_max": round(max(ups), 2),
        "down_s_median": round(statistics.median(downs), 2),
        "pss_mib": round(statistics.median(pss) / 1024),
        "mem_available_drop_mib": round(statistics.median(avail) / 1024),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sites", type=int, default=50)
    args = parser.parse_args()
    rows = [bench("default (inventory/)", ROOT / "inventory", args.runs)]
    with tempfile.TemporaryDirectory() as tmp:
        inv = generate_inventory(Path(tmp) / "inventory", sites=args.sites)
        rows.append(bench(f"{args.sites} OPD sites (generated)", inv, args.runs))
    cols = [
        "lab",
        "devices",
        "hosts",
        "processes",
        "up_s_median",
        "up_s_max",
        "down_s_median",
        "pss_mib",
        "mem_available_drop_mib",
    ]
    print_rows(cols, rows)


def print_rows(cols: list[str], rows: list[dict[str, object]]) -> None:
    """The rows as a Markdown table (for the docs), then as JSON."""
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
