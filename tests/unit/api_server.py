"""A real ``sipelangi-net serve`` for tests: the console script on a free loopback port, stopped by its PID.

Each server has a private database, a mode-600 token file and its own HOME;
:func:`running_server` stops it (through its Popen) even when the test fails.
Its database holds one account per SOP role (:data:`ROLE_ACCOUNTS`), each with an
API token (``Server.tokens``); ``Server.token`` is the service token (``system``).
:class:`SopClients` sends each move with the token of the role the SOP names for it.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from sipelangi_net.accounts.models import AccountRole
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.tickets import policy
from sipelangi_net.tickets.http import HttpStore
from sipelangi_net.tickets.models import Move, Request, Ticket
from sipelangi_net.tickets.sqlite import SqliteStore

SCRIPT = Path(sys.executable).parent / "sipelangi-net"


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    db: Path
    proc: subprocess.Popen[bytes]
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)
    """role -> an API token of that role's account (``system``: the service token)."""


# role -> (username, display name, OPD, sites): one account per role, made before the server starts
ROLE_ACCOUNTS: dict[AccountRole, tuple[str, str, str | None, tuple[str, ...]]] = {
    AccountRole.PEMOHON: ("budi", "Budi Santoso", "Dinas Kesehatan (Dinkes)", ("dinkes",)),
    AccountRole.HELPDESK: ("rina", "Rina Helpdesk", None, ()),
    AccountRole.KEPALA_DINAS: ("kadis", "Ir. Kadis", None, ()),
    AccountRole.KEPALA_BIDANG: ("kabid", "Kabid E-Gov", None, ()),
    AccountRole.TIM_KERJA: ("andi", "Andi Jaringan", None, ()),
    AccountRole.ADMIN: ("root", "Admin", None, ()),
}


def role_tokens(db: Path) -> dict[str, str]:
    """The :data:`ROLE_ACCOUNTS` in ``db`` (made when missing), each with a new API token."""
    accounts = SqliteAccounts(db)
    try:
        have = {a.username for a in accounts.list()}
        tokens = {}
        for role, (username, name, opd, sites) in ROLE_ACCOUNTS.items():
            if username not in have:
                accounts.add(username, display_name=name, role=role, opd=opd, sites=sites)
            tokens[str(role)] = accounts.issue_token(username, name="test").token
        return tokens
    finally:
        accounts.close()


def plant_token(db: Path, username: str, token: str, *, days: int = 30) -> None:
    """Give ``username`` in ``db`` an API token whose value the test chose (stored as the accounts
    store stores one: its digest), for a caller that must know its token before the server starts."""
    import datetime as dt
    import sqlite3

    from sipelangi_net.accounts.tokens import looks_like_token, token_digest

    assert looks_like_token(token), "a planted token looks like one the server issues (spl_ + 43)"
    now = dt.datetime.now(dt.UTC)
    with sqlite3.connect(db) as conn:
        (account_id,) = conn.execute("SELECT id FROM accounts WHERE username = ?", (username,)).fetchone()
        conn.execute(
            "INSERT INTO api_tokens (account_id, name, digest, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                account_id,
                "planted",
                token_digest(token),
                now.isoformat(),
                (now + dt.timedelta(days=days)).isoformat(),
            ),
        )
    conn.close()


class SopClients:
    """An HttpStore per role of a running server: a move goes with the token of the role the SOP names
    for it (step 12: the service token); a ticket is opened, and anything else asked, as the helpdesk."""

    def __init__(self, server: Server) -> None:
        tokens = {**server.tokens, policy.SYSTEM_ROLE: server.token}
        self.by_role = {role: HttpStore(server.url, token=token) for role, token in tokens.items()}
        self.helpdesk = self.by_role[policy.HELPDESK]

    def create(self, request: Request, *, helpdesk: str) -> Ticket:
        return self.helpdesk.create(request, helpdesk=helpdesk)

    def apply(self, ticket_id: str, move: Move) -> Ticket:
        role = policy.rule(move.step, move.outcome).roles[0]
        return self.by_role[role].apply(ticket_id, move)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.helpdesk, name)

    def close(self) -> None:
        for client in self.by_role.values():
            client.close()

    def __enter__(self) -> SopClients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(base: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TZ")}
    return {
        **keep,
        "HOME": str(base / "home"),
        "XDG_DATA_HOME": str(base / "data"),
        "SIPELANGI_REPORTS": str(base / "reports"),  # the documents the server writes (Lembar Disposisi)
        **anchors(base),
    }


def anchors(base: Path) -> dict[str, str]:
    """The server's audit key and checkpoint file, shared by the tests that open its database."""
    return {
        "SIPELANGI_AUDIT_KEY": str(base / "audit.key"),
        "SIPELANGI_CHECKPOINTS": str(base / "checkpoints.jsonl"),
    }


def open_local(db: Path) -> SqliteStore:
    """The server's database opened here, with the server's audit key and checkpoint file."""
    return SqliteStore(db, audit_key=db.parent / "audit.key", checkpoints=db.parent / "checkpoints.jsonl")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server this test started (by its PID, through its Popen)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def running_server(
    base: Path,
    *,
    token: str | None = None,
    tls: tuple[Path, Path] | None = None,
    planted: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[Server]:
    """The server on a free loopback port; ``tls`` (cert, key): over HTTPS, trusted by the health probe;
    ``planted``: username -> an API token chosen by the test (:func:`plant_token`); ``env``: more of the
    server's environment (over the test's defaults); ``args``: more options of ``serve``."""
    base.mkdir(parents=True, exist_ok=True)
    token = token or "test-" + os.urandom(24).hex()
    token_file = base / "token"
    token_file.write_text(token + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    db, log, port = base / "tickets.db", base / "server.log", free_port()
    tokens = role_tokens(db)
    for username, chosen in (planted or {}).items():
        plant_token(db, username, chosen)
    argv = [
        str(SCRIPT),
        "serve",
        "--db",
        str(db),
        "--port",
        str(port),
        "--token-file",
        str(token_file),
        *args,
    ]
    if tls is not None:
        argv += ["--cert", str(tls[0]), "--key", str(tls[1])]
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=tls[0]) if tls else True
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env={**_env(base), **(env or {})})
    try:
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"serve exited with {proc.returncode}: {log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1, verify=verify).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not answer /api/v1/health in 20 s: {log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield Server(url=url, token=token, db=db, proc=proc, log=log, tokens=tokens)
    finally:
        stop(proc)
