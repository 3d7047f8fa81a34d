#!/usr/bin/env python3
"""Benchmark a full provisioning run on the lab, and the tool's own overhead in it.

Usage (root, no lab running):
    flock /run/lock/sipelangi-net-lab-tests.lock .venv/bin/python bench/provision_bench.py

Brings the lab up, then for three sites (one ticket each, approved) runs
``sipelangi-net provision ID --yes --handover FILE --json`` from approval to the requester's
notification (delivered to a local SMTP server), and takes the lab down. For each run: the
process's wall time, and where it went — device I/O, the bandwidth test, the documents (PDF),
mail — and the rest, the tool's own overhead (Python start-up, imports, ticket store,
rendering, diffing, orchestration).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("sipelangi-net"))
SITES = ("dinkes", "bappeda", "disdukcapil")
KINDS = ("device_io", "bwtest", "documents", "notify", "waiting")


def main() -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    subprocess.run([CLI, "lab", "up"], check=True, capture_output=True)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
            env.update(SIPELANGI_DB=f"{tmp}/t.db", SIPELANGI_REPORTS=f"{tmp}/r", SIPELANGI_ACTOR="bench",
                       SIPELANGI_SMTP_HOST="127.0.0.1", SIPELANGI_SMTP_PORT=str(port),
                       SIPELANGI_LOCKS=f"{tmp}/locks")  # fmt: skip
            scan = Path(tmp) / "scan.pdf"
            scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
            handover = Path(tmp) / "handover.yaml"
            handover.write_text(yaml.safe_dump({
                "tim_kerja": {"name": "Andi Pratama", "nip": "198503152010011002"},
                "pemohon": {"name": "Siti Rahmawati", "nip": "197908212005012003"}, "scan": str(scan),
            }))  # fmt: skip
            for site in SITES:
                request = Path(tmp) / f"{site}.yaml"
                request.write_text(yaml.safe_dump({
                    "opd": f"OPD {site}", "site": site, "users": 20, "applications": ["simpeg", "eoffice"],
                    "pic": {"name": "PIC", "phone": "+62 812 0000 0000", "email": "pic@example.go.id"},
                    "letter": {"number": "1/2026", "date": "2026-11-20"},
                }))  # fmt: skip
                new = subprocess.run([CLI, "ticket", "new", "--file", str(request), "--json"], env=env,
                                     capture_output=True, text=True, check=True)  # fmt: skip
                tid = json.loads(new.stdout)["id"]
                subprocess.run([CLI, "ticket", "approve", tid], env=env, capture_output=True, check=True)
                t0 = time.monotonic()
                proc = subprocess.run(
                    [CLI, "provision", tid, "--yes", "--handover", str(handover), "--json",
                     "--now", "--reason", "benchmark on the lab: the agreed slot is days ahead"],
                    env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
                wall = time.monotonic() - t0
                summary = json.loads(proc.stdout.splitlines()[-1])
                assert summary["exit_code"] == 0, (proc.stderr, summary["steps"][-1])
                io = sum(summary["timings"][k] for k in KINDS)
                rows.append((site, wall, summary["timings"], wall - io))
    finally:
        subprocess.run([CLI, "lab", "down"], check=False, capture_output=True)
        smtp.stop()
    for site, wall, t, overhead in rows:
        print(
            f"{site:<12} total {wall:5.1f} s: devices {t['device_io']:.1f}, bandwidth test {t['bwtest']:.1f},"
            f" documents {t['documents']:.1f}, mail {t['notify']:.2f}; tool overhead {overhead:.2f} s"
            f" (of which inside the run {t['overhead']:.2f})"
        )
    print(f"median overhead {statistics.median(r[3] for r in rows):.2f} s per provisioning run")


if __name__ == "__main__":
    main()
