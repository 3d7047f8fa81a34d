#!/usr/bin/env python3
"""Benchmark the ticket API on a store of 10,000 tickets: one ticket, and one page of a filtered list.

Usage:
    .venv/bin/python bench/api_bench.py [--tickets 10000] [--requests 400] [--clients 20] [--json]

Builds the store straight through ``SqliteStore`` with valid moves (every ticket
opened; three in four approved, the rest deferred; one in ten carried through
steps 4-11 with the outputs each step's command records), then starts the real
server (``sipelangi-net serve`` on a free loopback port; stopped by its PID at
the end) and measures, sequentially and with ``--clients`` concurrent clients
(each its own httpx connection):

- ``GET /api/v1/tickets/{id}`` of a random ticket;
- ``GET /api/v1/tickets?status=approved&site=dinkes&limit=50`` and the pages
  after it, following ``next`` (a client walking the list).

Every request is authenticated as one of ``--accounts`` accounts (tim_kerja and
helpdesk, each with its own API token, looked up by digest on every request), as
the server does in use.

Prints p50/p95/max in milliseconds. Targets (issue 15): p95 < 50 ms
sequentially, < 200 ms with 20 clients.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit"))  # the tests' synthetic step outputs

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
SITES = (
    ("dinkes", "Dinas Kesehatan (Dinkes)"),
    ("bappeda", "Badan Perencanaan Pembangunan Daerah (Bappeda)"),
    ("disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil)"),
)
LIST = "/api/v1/tickets?status=approved&site=dinkes&limit=50"


def build(db: Path, anchors: dict[str, Path], count: int) -> list[str]:
    """``count`` tickets in ``db`` through the store's own writes (valid moves only)."""
    from test_documents_data import outputs_for
    from ticket_data import request

    from sipelangi_net.tickets.models import Move
    from sipelangi_net.tickets.sqlite import SqliteStore

    store = SqliteStore(db, audit_key=anchors["key"], checkpoints=anchors["checkpoints"])
    ids: list[str] = []
    try:
        for n in range(count):
            site, opd = SITES[n % len(SITES)]
            pic = {"name": f"Petugas {n}", "phone": "+62 812 7100 1234", "email": f"pic{n}@{site}.go.id"}
            letter = {"number": f"005/{n}/2026", "date": "2026-11-20"}
            asked = request(site=site, opd=opd, pic=pic, letter=letter, users=1 + n % 200)
            tid = store.create(asked, helpdesk="Helpdesk Diskominfo").id
            ids.append(tid)
            if n % 4 == 3:
                store.apply(tid, Move(step=3, actor="Kepala Dinas", outcome="defer", note="anggaran"))
                continue
            store.apply(tid, Move(step=3, actor="Kepala Dinas", outcome="approve"))
            if n % 10 == 0:
                for step in range(4, 12):
                    store.apply(tid, Move(step=step, actor="Tim Kerja", outputs=outputs_for(step, tid)))
    finally:
        store.close()
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(base: Path, db: Path, token: str) -> tuple[subprocess.Popen[bytes], str]:
    token_file = base / "token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")},
        "SIPELANGI_AUDIT_KEY": str(base / "audit.key"),
        "SIPELANGI_CHECKPOINTS": str(base / "checkpoints.jsonl"),
    }
    argv = [CLI, "serve", "--db", str(db), "--port", str(port), "--token-file", str(token_file)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=(base / "serve.log").open("wb"), env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited: {(base / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    stop(proc)
    raise SystemExit("serve did not answer within 30 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


Request = Callable[[httpx.Client], None]


def one_ticket(ids: list[str]) -> Request:
    def call(client: httpx.Client) -> None:
        answer = client.get(f"/api/v1/tickets/{random.choice(ids)}")
        answer.raise_for_status()

    return call


def list_pages() -> Request:
    """The filtered list, page after page (each client keeps its own place; wraps at the end)."""
    place = threading.local()

    def call(client: httpx.Client) -> None:
        cursor = getattr(place, "cursor", None)
        answer = client.get(LIST + (f"&cursor={cursor}" if cursor else ""))
        answer.raise_for_status()
        place.cursor = answer.json()["next"]

    return call


def account_tokens(db: Path, count: int) -> list[str]:
    """``count`` accounts in ``db`` (tim_kerja and helpdesk, who see every ticket), one API token each."""
    from sipelangi_net.accounts.models import AccountRole
    from sipelangi_net.accounts.store import SqliteAccounts

    accounts = SqliteAccounts(db)
    try:
        tokens = []
        for n in range(count):
            role = AccountRole.TIM_KERJA if n % 2 else AccountRole.HELPDESK
            accounts.add(f"user{n:03d}", display_name=f"Pengguna {n}", role=role)
            tokens.append(accounts.issue_token(f"user{n:03d}", name="bench").token)
        return tokens
    finally:
        accounts.close()


def measure(url: str, tokens: list[str], call: Request, *, requests: int, clients: int) -> list[float]:
    """Milliseconds of each of ``requests`` calls, made by ``clients`` threads at once (each its own
    account's token)."""
    times: list[float] = []
    lock = threading.Lock()
    per_client = requests // clients

    def worker(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            call(client)  # the connection, made once
            for _ in range(per_client):
                t0 = time.perf_counter()
                call(client)
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    times.append(elapsed)

    threads = [threading.Thread(target=worker, args=(random.choice(tokens),)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def summary(times: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times, n=100)
    return {
        "n": len(times),
        "p50": round(cuts[49], 1),
        "p95": round(cuts[94], 1),
        "max": round(max(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    random.seed(15)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        db = base / "tickets.db"
        t0 = time.perf_counter()
        anchors = {"key": base / "audit.key", "checkpoints": base / "checkpoints.jsonl"}
        ids = build(db, anchors, args.tickets)
        tokens = account_tokens(db, args.accounts)
        built = time.perf_counter() - t0
        token = secrets.token_urlsafe(32)  # the service token: serve needs one
        proc, url = start(base, db, token)
        rows: dict[str, dict[str, float]] = {}
        try:
            for name, call in (("GET one ticket", one_ticket(ids)), ("GET list page", list_pages())):
                for clients in (1, args.clients):
                    times = measure(url, tokens, call, requests=args.requests, clients=clients)
                    rows[f"{name}, {clients} client{'s' if clients > 1 else ''}"] = summary(times)
            headers = {"Authorization": f"Bearer {tokens[0]}"}
            page = httpx.get(f"{url}{LIST}", headers=headers, timeout=30)
        finally:
            stop(proc)
    if args.json:
        print(json.dumps({"tickets": args.tickets, "build_s": round(built, 1), "results": rows}, indent=2))
        return
    print(f"{args.tickets} tickets built in {built:.0f} s; list page: {len(page.content) // 1024} KiB")
    print(f"{'case':<32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, row in rows.items():
        print(f"{name:<32} {row['n']:>5} {row['p50']:>8} {row['p95']:>8} {row['max']:>8}")


if __name__ == "__main__":
    main()
