#!/usr/bin/env python3
"""Benchmark the monitor on a generated lab of 100 devices: one round with sessions kept open
against the raw-SSH floor of connecting to every device, and its CPU at a 60 s interval.

Usage (root; takes the lab lock, brings the lab up and down itself):

    .venv/bin/python bench/monitor_bench.py [--sites 87] [--rounds 10] [--cpu-minutes 4]

87 OPD sites make 100 devices (87 access switches, 11 distribution routers, the core and the
server switch). Measured:

floor
    raw paramiko, 20 threads: connect to every device (host key verified), run the monitor's
    command of its platform once, close; three runs, the median.
round
    ``sipelangi-net monitor --interval 1 --rounds N --no-faults --json`` (the real CLI, its sessions
    opened once before the first round): each round's own time (the ``seconds`` of its line):
    every device read over its kept session, every link and uplink observed; median and worst.
cpu
    the same at ``--interval 60`` for ``--cpu-minutes``: the process's user + system CPU from
    its first round's line to its last (``/proc/PID/stat``), over the wall time between them.

The generated lab provisions no OPD, so no gateway or host is pinged and no throughput probe
runs: the round is the device side, the part that grows with the city.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fcntl
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sipelangi_net.lab.generate import generate_inventory  # noqa: E402

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
LAB_LOCK = Path("/run/lock/sipelangi-net-lab-tests.lock")


def cli_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
    env.update(SIPELANGI_DB=str(tmp / "t.db"), SIPELANGI_ACTOR="bench", SIPELANGI_REPORTS=str(tmp / "r"))
    return env


def floor(inventory: Path, workers: int = 20) -> float:
    """Seconds to connect to every device, run its monitor command once and close (raw paramiko)."""
    from sipelangi_net.credentials import load_credentials
    from sipelangi_net.drivers.ssh import connect_client, run_on
    from sipelangi_net.faults.sessions import device_refs
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import lab_dir

    inv = load_inventory(inventory)
    creds = load_credentials(lab_dir() / "secrets.yaml")
    refs = device_refs(inv, inv.devices)

    def one(ref: Any) -> str:
        client = connect_client(ref.name, ref.host, ref.port, creds, timeout=10)
        try:
            return run_on(ref.name, client, ref.command, timeout=10)
        finally:
            client.close()

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        answers = list(pool.map(one, refs))
    took = time.perf_counter() - t0
    assert all(answers), "every device answered"
    frr = json.loads(answers[[r.name for r in refs].index("core-diskominfo")])
    print("FRR show interface json, counters:", sorted(k for k in next(iter(frr.values())) if "rror" in k))
    return took


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def monitor_rounds(
    inventory: Path, env: dict[str, str], *, interval: int, rounds: int, extra: tuple[str, ...] = ()
) -> tuple[list[dict[str, Any]], float, float]:
    """The round documents, and the CPU seconds and wall seconds from the first line to the last."""
    argv = [CLI, "monitor", "--inventory", str(inventory), "--interval", str(interval),
            "--rounds", str(rounds), "--json", *extra]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    docs: list[dict[str, Any]] = []
    cpu0 = wall0 = cpu1 = wall1 = 0.0
    for line in proc.stdout:
        docs.append(json.loads(line))
        cpu, wall = cpu_seconds(proc.pid), time.monotonic()
        if len(docs) == 1:
            cpu0, wall0 = cpu, wall
        cpu1, wall1 = cpu, wall
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    if proc.wait() != 0:
        raise SystemExit(f"monitor exited {proc.returncode}: {err[-2000:]}")
    return docs, cpu1 - cpu0, wall1 - wall0


def unquiet(docs: list[dict[str, Any]]) -> int:
    """Rounds with a device silent, a target not up or a decision (a quiet lab has none)."""
    bad = [d for d in docs if d["silent"] or d["problems"] or d["decisions"]]
    for doc in bad[:3]:
        print("not quiet:", json.dumps(doc)[:600])
    return len(bad)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=87)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--cpu-minutes", type=int, default=4)
    args = parser.parse_args()
    with LAB_LOCK.open("a") as lock, tempfile.TemporaryDirectory() as tmpdir:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one lab on the machine: wait for any test session
        tmp = Path(tmpdir)
        inventory = generate_inventory(tmp / "inventory", sites=args.sites)
        devices = len(yaml.safe_load((inventory / "hosts.yaml").read_text()))
        subprocess.run([CLI, "lab", "up", "--inventory", str(inventory)], check=True, capture_output=True)
        try:
            floors = [floor(inventory) for _ in range(3)]
            env = cli_env(tmp)
            fast, _cpu, _wall = monitor_rounds(
                inventory, env, interval=1, rounds=args.rounds, extra=("--no-faults",)
            )
            noisy = unquiet(fast)
            slow, cpu, wall = monitor_rounds(
                inventory, env, interval=60, rounds=args.cpu_minutes + 1, extra=("--no-faults",)
            )
            noisy += unquiet(slow)
        finally:
            subprocess.run([CLI, "lab", "down"], check=False, capture_output=True)
    seconds = [d["seconds"] for d in fast]
    print(f"devices: {devices}")
    print(f"targets observed per round: {fast[0]['observed']}")
    print(f"floor (connect + one read, every device, 20 threads): median {statistics.median(floors):.2f} s"
          f" of {', '.join(f'{f:.2f}' for f in floors)}")  # fmt: skip
    print(f"monitor round, sessions kept open: median {statistics.median(seconds):.3f} s,"
          f" worst {max(seconds):.3f} s over {len(seconds)} rounds")  # fmt: skip
    print(f"rounds not quiet: {noisy}")
    share = 100 * cpu / wall
    print(f"monitor at a 60 s interval: {cpu:.2f} s CPU in {wall:.0f} s = {share:.2f} % of one core"
          f" ({len(slow)} rounds)")  # fmt: skip


if __name__ == "__main__":
    main()
