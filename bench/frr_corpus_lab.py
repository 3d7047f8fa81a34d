#!/usr/bin/env python3
"""The whole public FRR corpus on a lab FRR router (root, lab up first; tests/lab/frr_corpus.py).

Usage: flock /run/lock/sipelangi-net-lab-tests.lock .venv/bin/python bench/frr_corpus_lab.py
       [--router dist-tamansari] [--only NAME ...]

For each corpus config: its routing parts merged into the router's day-0 config, diffed
(``replace``), pushed under the router's commit-confirm, read back (second diff), undone by the
diff's own rollback, then restored by the commit-confirm rollback. Prints per file a line, then
the figures: files, refused by the diff, refused by FRR, converged (second diff empty), the
diff's rollback exact, the commit-confirm restore exact; and each failure with its first
differing line. The router is left as it was (checked at the end).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sipelangi_net.change.push import normalise  # noqa: E402
from sipelangi_net.credentials import load_credentials  # noqa: E402
from sipelangi_net.drivers.lab import open_driver  # noqa: E402
from sipelangi_net.inventory import load_inventory  # noqa: E402
from sipelangi_net.paths import lab_dir  # noqa: E402
from sipelangi_net.platforms import Platform  # noqa: E402
from tests.lab.frr_corpus import CORPUS, LabOutcome, corpus_files, lab_round_trip  # noqa: E402


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def line(o: LabOutcome) -> str:
    if o.refused:
        return f"REFUSED {o.refused}"
    state = "converged"
    if o.second_diff:
        state = f"SECOND DIFF {len(o.second_diff)} lines: {o.second_diff[0]}"
    restored = "restored" if o.restored else f"NOT RESTORED {o.first_difference}"
    return f"{o.commands} commands, {state}, diff rollback {o.engine_rollback}, commit-confirm {restored}"


def figures(outcomes: list[LabOutcome]) -> None:
    n = len(outcomes)
    by_diff = sum(o.refused.startswith("diff:") for o in outcomes)
    by_frr = sum(o.refused.startswith("FRR:") for o in outcomes)
    converged = sum(o.converged for o in outcomes)
    engine = sum(o.engine_rollback == "exact" for o in outcomes)
    restored = sum(o.restored for o in outcomes)
    print(f"\nfiles: {n}")
    print(f"refused by the diff: {by_diff}; lines refused by FRR: {by_frr}")
    print(f"converged (pushed, second diff empty, restored): {converged} ({percent(converged, n)})")
    print(f"the diff's own rollback exact: {engine} ({percent(engine, n)})")
    print(f"commit-confirm rollback exact: {restored} ({percent(restored, n)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--router", default="dist-tamansari")
    parser.add_argument("--only", action="append", help="a corpus file name (repeatable)")
    args = parser.parse_args()
    inventory = load_inventory(ROOT / "inventory")
    creds = load_credentials(lab_dir() / "secrets.yaml")
    names = args.only or [p.name for p in corpus_files()]
    drv = open_driver(inventory.devices[args.router], creds)
    drv.open()
    try:
        before = normalise(Platform.FRR, drv.get_config())
        outcomes = []
        for name in names:
            start = time.perf_counter()
            outcome = lab_round_trip(drv, name, (CORPUS / name).read_text())
            outcomes.append(outcome)
            print(f"{name}: {line(outcome)} ({time.perf_counter() - start:.1f} s)", flush=True)
            for second in outcome.second_diff:
                print(f"    second diff: {second}")
        figures(outcomes)
        assert normalise(Platform.FRR, drv.get_config()) == before, f"{args.router} was not restored"
    finally:
        drv.close()


if __name__ == "__main__":
    main()
