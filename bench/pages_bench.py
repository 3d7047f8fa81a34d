#!/usr/bin/env python3
"""Benchmark the pages (server-side rendering) on a store of 10,000 tickets.

Usage:
    .venv/bin/python bench/pages_bench.py [--tickets 10000] [--requests 200] [--json]

Builds the store as bench/api_bench.py does (every ticket opened and decided; one in ten carried
through steps 4-11), adds ``--waiting`` tickets waiting for the Kepala Dinas and the accounts of
each role with a password (tests/unit/pages_world.py), starts the real server (``sipelangi-net
serve``; stopped by its PID at the end), logs in through ``/masuk`` as each role would, and measures
each page, sequentially, as a logged-in browser asks for it (the whole answer, on loopback).

Prints p50/p95/max in milliseconds. Target (issue 16): p95 < 100 ms per page.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_bench import build, start, stop, summary
from pages_world import PASSWORD, make_people
from ticket_data import request

Path_ = Callable[[], str]


def with_status(db: Path, anchors: dict[str, Path], status: str, count: int) -> list[str]:
    """Up to ``count`` ids of the tickets in ``status`` (the newest)."""
    from sipelangi_net.tickets.listing import TicketQuery
    from sipelangi_net.tickets.sqlite import SqliteStore

    store = SqliteStore(db, audit_key=anchors["key"], checkpoints=anchors["checkpoints"])
    try:
        page = store.page(TicketQuery(status=status), after=None, limit=count, newest=True)
        return [t.id for t in page.tickets]
    finally:
        store.close()


def add_waiting(db: Path, anchors: dict[str, Path], count: int) -> list[str]:
    """``count`` Dinkes tickets opened and forwarded, waiting for the Kepala Dinas."""
    from sipelangi_net.tickets.sqlite import SqliteStore

    store = SqliteStore(db, audit_key=anchors["key"], checkpoints=anchors["checkpoints"])
    try:
        return [store.create(request(), helpdesk="Helpdesk Diskominfo").id for _ in range(count)]
    finally:
        store.close()


@contextlib.contextmanager
def decisions(db: Path, anchors: dict[str, Path], waiting: list[str]) -> Iterator[Callable[[], None]]:
    """A step recorded on the next waiting ticket each call (the Kepala Dinas approves it)."""
    from sipelangi_net.tickets.models import Move
    from sipelangi_net.tickets.sqlite import SqliteStore

    store = SqliteStore(db, audit_key=anchors["key"], checkpoints=anchors["checkpoints"])
    queue = iter(waiting)

    def decide() -> None:
        store.apply(next(queue), Move(step=3, actor="Kepala Dinas", outcome="approve"))

    try:
        yield decide
    finally:
        store.close()


def logged_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    form = client.get("/masuk").text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post("/masuk", data={"csrf": csrf, "username": username, "password": PASSWORD})
    if answer.status_code != 303:
        raise SystemExit(f"login of {username} failed: {answer.status_code}")
    return client


FIRST: dict[str, float] = {}
"""Per page, its first request (ms): the connection made, and the Kepala Bidang's month figures
computed (they are kept while the store has no new event)."""


def measure(
    client: httpx.Client, path: Path_, requests: int, name: str = "", before: Callable[[], None] | None = None
) -> list[float]:
    t0 = time.perf_counter()
    client.get(path()).raise_for_status()  # the connection, made once
    FIRST[name] = round((time.perf_counter() - t0) * 1000, 1)
    times = []
    for _ in range(requests):
        if before is not None:
            before()  # not timed
        t0 = time.perf_counter()
        answer = client.get(path())
        elapsed = (time.perf_counter() - t0) * 1000
        answer.raise_for_status()
        times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    random.seed(16)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        db = base / "tickets.db"
        anchors = {"key": base / "audit.key", "checkpoints": base / "checkpoints.jsonl"}
        t0 = time.perf_counter()
        ids = build(db, anchors, args.tickets)
        waiting = add_waiting(db, anchors, args.waiting)
        make_people(db)
        approved = with_status(db, anchors, "approved", 200)
        built = time.perf_counter() - t0
        proc, url = start(base, db, secrets.token_urlsafe(32))
        clients: dict[str, httpx.Client] = {}
        rows: dict[str, dict[str, float]] = {}
        try:
            clients = {u: logged_in(url, u) for u in ("budi", "rina", "kadis", "kabid", "andi")}
            cases: list[tuple[str, str, Path_]] = [
                ("pemohon: Permohonan saya", "budi", lambda: "/permohonan"),
                ("pemohon: the form", "budi", lambda: "/permohonan/baru"),
                ("pemohon: a ticket", "budi", lambda: f"/tiket/{random.choice(waiting)}"),
                ("helpdesk: the queue", "rina", lambda: "/helpdesk"),
                ("any ticket (timeline)", "rina", lambda: f"/tiket/{random.choice(ids)}"),
                ("officials: newest tickets", "rina", lambda: "/tiket"),
                ("Kepala Dinas: the inbox", "kadis", lambda: "/disposisi"),
                ("Kepala Dinas: a decision", "kadis", lambda: f"/disposisi/{random.choice(waiting)}"),
                ("Kepala Bidang: SLA dashboard", "kabid", lambda: "/dasbor"),
                ("Kepala Bidang: monthly report", "kabid", lambda: "/laporan/bulanan"),
                ("Kepala Bidang: compliance", "kabid", lambda: "/kepatuhan"),
                ("Tim Kerja: the work list", "andi", lambda: "/kerja"),
                ("Tim Kerja: a work page", "andi", lambda: f"/kerja/{random.choice(approved)}"),
            ]
            for name, who, path in cases:
                times = measure(clients[who], path, args.requests, name)
                rows[name] = {**summary(times), "first": FIRST[name]}
            name = "Kepala Bidang: SLA dashboard after each new event"
            with decisions(db, anchors, waiting) as decide:
                times = measure(
                    clients["kabid"], lambda: "/dasbor", min(args.requests, len(waiting)), name, decide
                )
            rows[name] = {**summary(times), "first": FIRST[name]}
        finally:
            for client in clients.values():
                client.close()
            stop(proc)
    if args.json:
        print(json.dumps({"tickets": args.tickets, "build_s": round(built, 1), "results": rows}, indent=2))
        return
    print(f"{args.tickets} tickets (+{args.waiting} waiting) built in {built:.0f} s")
    print(f"{'page':<50} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'first ms':>9}")
    for name, row in rows.items():
        print(f"{name:<50} {row['n']:>5} {row['p50']:>8} {row['p95']:>8} {row['max']:>8} {row['first']:>9}")


if __name__ == "__main__":
    main()
