#!/usr/bin/env python3
"""The monitor's quiet run: ten minutes on the normal lab with an OPD provisioned open no fault.

Usage (root; takes the lab lock, brings the lab up fresh and down itself):

    .venv/bin/python bench/monitor_quiet.py [--minutes 10] [--interval 5]

Provisions dinkes (ticket, analysis, preparation, schedule, deploy with its bandwidth test),
then runs ``sipelangi-net monitor --interval S --json`` with the fault record on for the whole
time (a throughput probe every six rounds), and counts: rounds, targets observed, devices
silent, problems seen, decisions, fault tickets in the store at the end (must be none), the
probes' figures and the rounds' times.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor_bench import CLI, LAB_LOCK, cli_env, monitor_rounds  # noqa: E402

from tests.unit.ticket_data import raw_request  # noqa: E402

EARLY = ("--now", "--reason", "quiet run: pushed before the agreed slot, which is days ahead")


def ok(env: dict[str, str], *args: str) -> dict[str, object]:
    proc = subprocess.run([CLI, *args, "--json"], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"sipelangi-net {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def provision(env: dict[str, str], tmp: Path) -> str:
    request = tmp / "permohonan.yaml"
    request.write_text(yaml.safe_dump(raw_request(notes="")))
    tid = str(ok(env, "ticket", "new", "--file", str(request))["id"])
    ok(env, "ticket", "approve", tid)
    for step in ("analyze", "prepare", "schedule"):
        ok(env, step, tid)
    report = ok(env, "deploy", tid, "--confirm-timeout", "60", "--seconds", "1", "--no-speedtest", *EARLY)
    assert report["ok"], report
    return tid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=int, default=5)
    args = parser.parse_args()
    rounds = int(args.minutes * 60 / args.interval)
    with LAB_LOCK.open("a") as lock, tempfile.TemporaryDirectory() as tmpdir:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one lab on the machine: wait for any test session
        tmp = Path(tmpdir)
        env = cli_env(tmp)
        subprocess.run([CLI, "lab", "up", "--fresh"], check=True, capture_output=True)
        try:
            tid = provision(env, tmp)
            docs, cpu, wall = monitor_rounds(
                ROOT / "inventory",
                env,
                interval=args.interval,
                rounds=rounds,
                extra=("--throughput-every", "6"),
            )
            faults = ok(env, "fault", "list")["faults"]
        finally:
            subprocess.run([CLI, "lab", "down"], check=False, capture_output=True)
    problems = [p for d in docs for p in d["problems"]]
    silent = [s for d in docs for s in d["silent"]]
    decisions = [x for d in docs for x in d["decisions"]]
    probes = [d["probe"] for d in docs if d["probe"]]
    figures = [p["mbps"] for p in probes if p["mbps"] is not None]
    seconds = [d["seconds"] for d in docs]
    print(f"provisioned {tid} (dinkes); {len(docs)} rounds every {args.interval} s over {wall / 60:.1f} min,")
    print(f"  {docs[0]['observed']} targets observed per round; CPU {100 * cpu / wall:.2f} % of one core")
    print(f"  rounds: median {statistics.median(seconds):.2f} s, worst {max(seconds):.2f} s")
    print(f"  problems seen: {len(problems)}, devices silent: {len(silent)}, decisions: {len(decisions)}")
    low, high = min(figures, default=0), max(figures, default=0)
    print(f"  throughput probes: {len(probes)}, figures {low:.1f}-{high:.1f} Mbit/s,"
          f" low: {sum(p['low'] for p in probes)}")  # fmt: skip
    print(f"  fault tickets in the store at the end: {len(faults)}")  # type: ignore[arg-type]
    if problems or decisions or faults:
        raise SystemExit(f"not quiet: {problems[:5]} {decisions[:5]} {faults}")


if __name__ == "__main__":
    main()
