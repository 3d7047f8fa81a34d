#!/usr/bin/env python3
"""Round trips of the whole public vendor corpus (tests/fixtures/corpus/<platform>/) through the
project's diff and the platform's model (tests/unit/corpus_vendor.py; figures in docs/corpus.md).

Usage: .venv/bin/python bench/corpus_bench.py [--platform cisco_ios ...] [--others N] [--quiet]

Each corpus file is the intended config against a day-0 config, against itself before a change,
and against every other file of its platform (``--others N``: the next N only). Prints per
platform: round trips, held, the percentage, those the diff refused (with its reason, nothing
sent), those it got wrong; the same per kind of running config; then each failure with its first
differing line (``--quiet``: one line per distinct cause, with its count).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from corpus_vendor import VENDORS, Outcome, corpus_files, round_trips  # noqa: E402

from sipelangi_net.platforms import Platform  # noqa: E402


def kind(outcome: Outcome) -> str:
    return outcome.running if outcome.running in ("day0", "changed") else "other file"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def report(platform: Platform, outcomes: list[Outcome], seconds: float, *, quiet: bool) -> None:
    held = sum(o.held for o in outcomes)
    refused = sum(o.stage == "refused" for o in outcomes)
    wrong = len(outcomes) - held - refused
    print(
        f"{platform.value}: {len(corpus_files(platform))} files, {len(outcomes)} round trips,"
        f" {held} held ({percent(held, len(outcomes))}), {refused} refused by the diff,"
        f" {wrong} wrong; rollback restored {sum(o.rolled_back for o in outcomes)}; {seconds:.1f} s"
    )
    for name in ("day0", "changed", "other file"):
        some = [o for o in outcomes if kind(o) == name]
        ok = sum(o.held for o in some)
        print(f"  from {name}: {ok}/{len(some)} held ({percent(ok, len(some))})")
    failed = [o for o in outcomes if not o.held]
    if quiet:
        causes = Counter((o.stage, o.first_difference) for o in failed)
        for (stage, why), count in causes.most_common():
            print(f"  {count:4d} x {stage}: {why}")
        return
    for o in failed:
        print(f"  FAIL {o.intended} <- {o.running}: {o.stage}: {o.first_difference}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--platform", action="append", choices=[p.value for p in VENDORS])
    parser.add_argument("--others", type=int, default=-1, help="other files as running (-1: all)")
    parser.add_argument("--quiet", action="store_true", help="one line per distinct cause")
    args = parser.parse_args()
    platforms = [Platform(p) for p in args.platform] if args.platform else list(VENDORS)
    for platform in platforms:
        start = time.perf_counter()
        outcomes = list(round_trips(platform, others=args.others))
        report(platform, outcomes, time.perf_counter() - start, quiet=args.quiet)


if __name__ == "__main__":
    main()
