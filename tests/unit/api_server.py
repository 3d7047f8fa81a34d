"""A real ``sipelangi-net serve`` for tests: the console script on a free loopback port, stopped by its PID.

Each server has a private database, a mode-600 token file and its own HOME;
:func:`running_server` stops it (through its Popen) even when the test fails.
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
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sipelangi_net.tickets.sqlite import SqliteStore

SCRIPT = Path(sys.executable).parent / "sipelangi-net"


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    db: Path
    proc: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(base: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TZ")}
    return {**keep, "HOME": str(base / "home"), "XDG_DATA_HOME": str(base / "data"), **anchors(base)}


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
    base: Path, *, token: str | None = None, tls: tuple[Path, Path] | None = None
) -> Iterator[Server]:
    """The server on a free loopback port; ``tls`` (cert, key): over HTTPS, trusted by the health probe."""
    base.mkdir(parents=True, exist_ok=True)
    token = token or "test-" + os.urandom(24).hex()
    token_file = base / "token"
    token_file.write_text(token + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    db, log, port = base / "tickets.db", base / "server.log", free_port()
    argv = [str(SCRIPT), "serve", "--db", str(db), "--port", str(port), "--token-file", str(token_file)]
    if tls is not None:
        argv += ["--cert", str(tls[0]), "--key", str(tls[1])]
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=tls[0]) if tls else True
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=_env(base))
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
        yield Server(url=url, token=token, db=db, proc=proc, log=log)
    finally:
        stop(proc)
