#!/usr/bin/env python3
"""Benchmark a compliance run against its floor, on generated labs of about 50 and 100 devices.

Usage (root; takes the lab lock, brings each lab up and down itself):

    .venv/bin/python bench/compliance_bench.py [--sites 42 87] [--runs 3]

42 OPD sites make 50 devices (42 access switches, 6 distribution routers, the core and the
server switch), 87 sites make 100. Per lab, alternating, ``--runs`` times each:

floor
    a bare Nornir (threaded runner, same worker count) + Netmiko ``send_command`` of each
    platform's config command over the same devices, nothing else: the SSH handshakes, which
    are CPU-bound on a 2-core machine, are the floor of any collection.
compliance
    the real CLI, ``sipelangi-net compliance --json`` with a fresh ticket store and backups
    repository: intended configs, collection, git backup, comparison, JSON + HTML report,
    fault tickets.

Both run as child processes (interpreter start and imports included in both); peak memory is
the child's maximum resident set size (``wait4``).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab_bench import print_rows  # noqa: E402

from sipelangi_net.lab.generate import generate_inventory  # noqa: E402

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
LAB_LOCK = Path("/run/lock/sipelangi-net-lab-tests.lock")

FLOOR = r"""
import sys
from pathlib import Path
from nornir_netmiko.tasks import netmiko_send_command
from sipelangi_net.compliance.collect import CONFIG_COMMANDS
from sipelangi_net.credentials import load_credentials
from sipelangi_net.drivers.nornir import open_nornir
from sipelangi_net.platforms import Platform

def read(task):
    command = CONFIG_COMMANDS[Platform(str(task.host.platform))]
    return task.run(task=netmiko_send_command, command_string=command, read_timeout=30).result

nr = open_nornir(Path(sys.argv[1]), load_credentials(), workers=20)
results = nr.run(task=read)
nr.close_connections()
failed = sorted(results.failed_hosts)
print(len(results) - len(failed), "configs;", "failed:", failed)
sys.exit(1 if failed else 0)
"""


def child(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS KiB, stdout) of one child process (reaped with wait4 for its own rusage)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 8):
        raise SystemExit(f"{' '.join(argv[:3])} exited {proc.returncode}: {err[-2000:]}")
    return elapsed, usage.ru_maxrss, out


def bench(inventory: Path, runs: int, tmp: Path) -> dict[str, object]:
    subprocess.run([CLI, "lab", "up", "--inventory", str(inventory)], check=True, capture_output=True)
    try:
        status = json.loads(
            subprocess.run(
                [CLI, "lab", "status", "--json"], check=True, capture_output=True, text=True
            ).stdout
        )
        devices = len(status["devices"])
        floor, full, floor_rss, full_rss = [], [], [], []
        for i in range(runs):
            env = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
            s, rss, _ = child([sys.executable, "-c", FLOOR, str(inventory)], env)
            floor.append(s)
            floor_rss.append(rss)
            env |= {
                "SIPELANGI_DB": str(tmp / f"t{devices}-{i}.db"),
                "SIPELANGI_REPORTS": str(tmp / f"reports{devices}-{i}"),
                "SIPELANGI_BACKUPS": str(tmp / f"backups{devices}-{i}"),
            }
            s, rss, out = child([CLI, "compliance", "--inventory", str(inventory), "--json"], env)
            doc = json.loads(out)
            assert len(doc["devices"]) == devices, "every device checked"
            assert doc["summary"]["unreachable"] == 0 and doc["summary"]["error"] == 0, doc["summary"]
            full.append(s)
            full_rss.append(rss)
        return {
            "devices": devices,
            "floor_s": round(statistics.median(floor), 2),
            "compliance_s": round(statistics.median(full), 2),
            "ratio": round(statistics.median(full) / statistics.median(floor), 2),
            "floor_peak_mib": round(max(floor_rss) / 1024),
            "compliance_peak_mib": round(max(full_rss) / 1024),
            "compliant": doc["summary"]["compliant"],
            "stages_s": doc["timings_s"],
            "runs": runs,
        }
    finally:
        subprocess.run([CLI, "lab", "down"], check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, nargs="+", default=[42, 87])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with LAB_LOCK.open("a") as lock, tempfile.TemporaryDirectory() as tmpdir:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one lab on the machine: wait for any test session
        tmp = Path(tmpdir)
        for sites in args.sites:
            inventory = generate_inventory(tmp / f"inventory-{sites}", sites=sites)
            rows.append(bench(inventory, args.runs, tmp))
    cols = [
        "devices",
        "floor_s",
        "compliance_s",
        "ratio",
        "floor_peak_mib",
        "compliance_peak_mib",
        "compliant",
    ]
    print_rows(cols, rows)


if __name__ == "__main__":
    main()
