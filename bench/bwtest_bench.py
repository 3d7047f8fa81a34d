#!/usr/bin/env python3
"""Benchmark the bandwidth test (SOP step 8) on the lab: how long a complete check takes.

Usage (root, no lab running):
    flock /run/lock/sipelangi-net-lab-tests.lock .venv/bin/python bench/bwtest_bench.py

Brings the lab up, deploys a plan for the Dinkes site (100 Mbit/s uplink shaped by tc),
then times the test from the site's OPD host with the default settings (iperf3 TCP 3 s
each way with 4 streams + 1 s slow start omitted, UDP 2 s, speedtest 3 s) and without
speedtest; takes the lab down again.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from analysis_data import NOW, day0_facts  # noqa: E402

from sipelangi_net.analysis.analyze import Inputs, analyze  # noqa: E402
from sipelangi_net.analysis.catalogues import load_catalogues  # noqa: E402
from sipelangi_net.bandwidth.gate import measure  # noqa: E402
from sipelangi_net.bandwidth.run import Settings  # noqa: E402
from sipelangi_net.change.push import deploy  # noqa: E402
from sipelangi_net.credentials import load_credentials  # noqa: E402
from sipelangi_net.drivers.lab import open_driver  # noqa: E402
from sipelangi_net.lab.environment import LabEnvironment  # noqa: E402
from sipelangi_net.lab.runtime import LabPaths  # noqa: E402
from sipelangi_net.paths import lab_dir  # noqa: E402
from sipelangi_net.tickets.models import Request  # noqa: E402

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
REQUEST = {
    "opd": "Dinas Kesehatan (Dinkes)",
    "site": "dinkes",
    "users": 40,
    "applications": ["simpeg", "eoffice"],
    "pic": {"name": "PIC", "phone": "+62 812 0000 0000", "email": "pic@pangkalpinangkota.go.id"},
    "letter": {"number": "1/2026", "date": "2026-11-20"},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    subprocess.run([CLI, "lab", "up"], check=True, capture_output=True)
    try:
        cat = load_catalogues(ROOT / "inventory")
        environment = LabEnvironment(LabPaths(lab_dir()))
        plan = analyze(
            Inputs("SPL-2026-00001", Request.model_validate(REQUEST), cat, day0_facts(cat), (), NOW)
        )
        with tempfile.TemporaryDirectory() as tmp:
            creds = load_credentials(lab_dir() / "secrets.yaml")
            report = deploy(plan, cat.inventory, creds, driver_factory=open_driver, backups=Path(tmp))
            assert report.ok, report.error
        for label, settings in (
            ("iperf3 + speedtest (default)", Settings()),
            ("iperf3 only", Settings(speedtest=False)),
        ):
            runs = [measure(plan, cat.inventory, environment, settings).result for _ in range(args.runs)]
            assert all(r.passed for r in runs), [r.reason for r in runs]
            assert runs[0].iperf is not None
            print(
                f"{label}: median {statistics.median(r.duration_s for r in runs):.1f} s"
                f" (min {min(r.duration_s for r in runs):.1f}, max {max(r.duration_s for r in runs):.1f}),"
                f" {args.runs} runs; download {runs[0].iperf.download_mbps:g} / upload"
                f" {runs[0].iperf.upload_mbps:g} Mbit/s on a 100 Mbit/s link, target"
                f" {plan.bandwidth.down_mbit}/{plan.bandwidth.up_mbit}"
            )
    finally:
        subprocess.run([CLI, "lab", "down"], check=False, capture_output=True)


if __name__ == "__main__":
    main()
