"""A server with pages for tests: accounts of each role in a temporary database, the pages' app
(for TestClient) and helpers that log in and fill forms as a browser would (without one)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from sipelangi_net.accounts.models import AccountRole, Delegation
from sipelangi_net.accounts.sessions import WebSessions
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.analysis.schedule import Calendar
from sipelangi_net.server.app import create_app
from sipelangi_net.server.auth import single_token
from sipelangi_net.server.pages import PagesConfig
from sipelangi_net.tickets.sqlite import SqliteStore

PASSWORD = "kata-sandi-yang-panjang-sekali-42"
DINKES = "Dinas Kesehatan (Dinkes)"
BAPPEDA = "Badan Perencanaan Pembangunan Daerah (Bappeda)"
# username -> (display name, role, OPD, sites)
PEOPLE: dict[str, tuple[str, AccountRole, str | None, tuple[str, ...]]] = {
    "budi": ("Budi Santoso", AccountRole.PEMOHON, DINKES, ("dinkes",)),
    "sari": ("Sari Bappeda", AccountRole.PEMOHON, BAPPEDA, ("bappeda",)),
    "rina": ("Rina Helpdesk", AccountRole.HELPDESK, None, ()),
    "kadis": ("Ir. Kadis", AccountRole.KEPALA_DINAS, None, ()),
    "kabid": ("Kabid E-Gov", AccountRole.KEPALA_BIDANG, None, ()),
    "andi": ("Andi Jaringan", AccountRole.TIM_KERJA, None, ()),
}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def make_people(db: Path) -> None:
    accounts = SqliteAccounts(db)
    try:
        for username, (display, role, opd, sites) in PEOPLE.items():
            accounts.add(username, display_name=display, role=role, opd=opd, sites=sites, password=PASSWORD)
    finally:
        accounts.close()


def add_delegation(db: Path, username: str, delegation: Delegation) -> None:
    accounts = SqliteAccounts(db)
    try:
        accounts.add_delegation(username, delegation)
    finally:
        accounts.close()


def open_store(db: Path) -> SqliteStore:
    return SqliteStore(db, audit_key=db.parent / "audit.key", checkpoints=db.parent / "checkpoints.jsonl")


def pages_server(base: Path, *, calendar: Calendar | None = None, reports: Path | None = None) -> FastAPI:
    """The API and the pages over ``base/tickets.db`` (its accounts made first); ``calendar`` and
    ``reports``: the Kepala Bidang's working calendar and compliance results (default: the shipped)."""
    db = base / "tickets.db"
    make_people(db)
    return create_app(
        lambda: open_store(db),
        resolver=single_token("t" * 32),
        pages=PagesConfig(
            sessions=lambda: WebSessions(SqliteAccounts(db)),
            letters=base / "surat-permohonan",
            calendar=None if calendar is None else (lambda: calendar),
            reports=reports,
        ),
    )


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def log_in(client: httpx.Client, username: str, *, remember: bool = False) -> httpx.Response:
    form = client.get("/masuk")
    data = {"csrf": csrf_of(form), "username": username, "password": PASSWORD, "lanjut": ""}
    if remember:
        data["ingat"] = "ya"
    return client.post("/masuk", data=data, follow_redirects=False)


def request_form(site: str = "dinkes", **changes: str) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "site": site,
        "users": "25",
        "applications": ["simpeg", "eoffice"],
        "letter_number": "005/123/DINKES/2026",
        "letter_date": "2026-11-30",
        "pic_name": "Budi Santoso",
        "pic_phone": "+62 812 7000 1234",
        "pic_email": "budi@dinkes.pangkalpinangkota.go.id",
        "notes": "",
    }
    data.update(changes)
    return data


def submit_request(
    client: httpx.Client, *, pdf: bytes = PDF, with_csrf: bool = True, **changes: str
) -> httpx.Response:
    data = request_form(**changes)
    if with_csrf:
        data["csrf"] = csrf_of(client.get("/permohonan/baru"))
    files = {"surat": ("surat.pdf", pdf, "application/pdf")}
    return client.post("/permohonan/baru", data=data, files=files, follow_redirects=False)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port in a thread of this process (stopped at the end)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start in 10 s"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
