"""`sipelangi-net user ...` and `sipelangi-net login` through the real console script; the saved
credentials file (0600, keyed by server) and the HTTP store using it; plain http:// refused off
loopback; no password or token in any output but the one that shows a new token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from ticket_data import cli_env

from sipelangi_net.accounts import tokens
from sipelangi_net.accounts.credentials import save_token, stored_token
from sipelangi_net.accounts.login import exchange_password
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.errors import AuthError, ConfigError, LoginThrottled, SecretsError
from sipelangi_net.tickets.http import HttpStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
PASSWORD = "teh-manis-di-bukit-intan"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env()
    e.update(
        SIPELANGI_DB=str(tmp_path / "tickets.db"),
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    return e


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False, input=stdin
    )


def ok(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    proc = run(env, *args, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    return proc


def add_engineer(env: dict[str, str]) -> dict[str, Any]:
    proc = ok(
        env,
        "user",
        "add",
        "budi",
        "--role",
        "tim_kerja",
        "--name",
        "Budi Santoso, S.Kom.",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert PASSWORD not in proc.stdout + proc.stderr
    return dict(json.loads(proc.stdout))


def test_add_list_and_log_in_with_the_password(env: dict[str, str]) -> None:
    budi = add_engineer(env)
    assert budi["username"] == "budi" and budi["role"] == "tim_kerja" and not budi["local"]
    listed = json.loads(ok(env, "user", "list", "--json").stdout)
    assert [a["username"] for a in listed] == ["budi"]
    assert "password" not in json.dumps(listed) and "argon2" not in json.dumps(listed)
    accounts = SqliteAccounts(Path(env["SIPELANGI_DB"]))
    try:
        assert accounts.authenticate("budi", PASSWORD).id == budi["id"]
    finally:
        accounts.close()


def test_a_pemohon_is_bound_to_an_opd_of_the_inventory(env: dict[str, str]) -> None:
    proc = ok(env, "user", "add", "sari", "--role", "pemohon", "--name", "Sari", "--opd", "dinkes", "--json")
    sari = json.loads(proc.stdout)
    assert sari["opd"] == "Dinas Kesehatan (Dinkes)" and sari["sites"] == ["dinkes"]
    assert "no password" in proc.stderr
    missing = run(env, "user", "add", "rina", "--role", "pemohon", "--name", "Rina")
    assert missing.returncode == 2 and "--opd" in missing.stderr
    unknown = run(
        env, "user", "add", "rina", "--role", "pemohon", "--name", "Rina", "--opd", "Dinas Pariwisata"
    )
    assert unknown.returncode == 2 and "known: Badan Perencanaan" in unknown.stderr
    helpdesk = run(env, "user", "add", "rina", "--role", "helpdesk", "--name", "Rina", "--opd", "dinkes")
    assert helpdesk.returncode == 2 and "only a pemohon" in helpdesk.stderr
    role = run(env, "user", "add", "rina", "--role", "boss", "--name", "Rina")
    assert role.returncode == 2 and "pemohon, helpdesk, kepala_dinas" in role.stderr
    name = run(env, "user", "add", "Rina Marlina", "--role", "helpdesk", "--name", "Rina")
    assert name.returncode == 2 and "not an account name" in name.stderr
    assert [a["username"] for a in json.loads(ok(env, "user", "list", "--json").stdout)] == ["sari"]


def test_passwords_never_come_from_an_argument_nor_a_missing_terminal(env: dict[str, str]) -> None:
    add_engineer(env)
    none = run(env, "user", "passwd", "budi")
    assert none.returncode == 2 and "--password-stdin" in none.stderr
    short = run(env, "user", "passwd", "budi", "--password-stdin", stdin="pendek\n")
    assert short.returncode == 2 and "at least 12" in short.stderr and "pendek" not in short.stderr
    new = "kopi-tubruk-tanpa-gula"
    changed = ok(env, "user", "passwd", "budi", "--password-stdin", stdin=new + "\n")
    assert new not in changed.stdout + changed.stderr
    accounts = SqliteAccounts(Path(env["SIPELANGI_DB"]))
    try:
        assert accounts.authenticate("budi", new).username == "budi"
        with pytest.raises(AuthError):
            accounts.authenticate("budi", PASSWORD)
    finally:
        accounts.close()


def test_tokens_are_printed_once_listed_without_secret_and_revoked(env: dict[str, str]) -> None:
    add_engineer(env)
    proc = ok(env, "user", "token", "budi", "--name", "laptop", "--days", "30")
    token = proc.stdout.strip()
    assert tokens.looks_like_token(token) and token not in proc.stderr and "shown once" in proc.stderr
    listed = ok(env, "user", "tokens", "budi", "--json")
    assert token not in listed.stdout and tokens.token_digest(token) not in listed.stdout
    (info,) = json.loads(listed.stdout)
    assert info["name"] == "laptop" and info["state"] == "active"
    too_long = run(env, "user", "token", "budi", "--days", "400")
    assert too_long.returncode == 2 and "1 to 365" in too_long.stderr
    revoked = ok(env, "user", "token-revoke", "budi", str(info["id"]))
    assert token not in revoked.stdout + revoked.stderr
    assert json.loads(ok(env, "user", "tokens", "budi", "--json").stdout)[0]["state"] == "revoked"
    accounts = SqliteAccounts(Path(env["SIPELANGI_DB"]))
    try:
        with pytest.raises(AuthError, match="revoked"):
            accounts.authenticate_token(token)
    finally:
        accounts.close()


def test_disable_refuses_the_accounts_tokens(env: dict[str, str]) -> None:
    add_engineer(env)
    token = ok(env, "user", "token", "budi").stdout.strip()
    disabled = json.loads(ok(env, "user", "disable", "budi", "--json").stdout)
    assert disabled["disabled"] is True
    accounts = SqliteAccounts(Path(env["SIPELANGI_DB"]))
    try:
        with pytest.raises(AuthError, match="disabled"):
            accounts.authenticate_token(token)
    finally:
        accounts.close()
    again = run(env, "user", "token", "budi")
    assert again.returncode == 2 and "disabled" in again.stderr and not again.stdout


def test_delegate(env: dict[str, str]) -> None:
    ok(env, "user", "add", "hendra", "--role", "kepala_bidang", "--name", "Ir. Hendra Gunawan, M.T.")
    args = (
        "user",
        "delegate",
        "hendra",
        "--as",
        "kepala_dinas",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-31",
    )
    done = json.loads(ok(env, *args, "--kind", "Plt.", "--decree", "800/45/BKPSDM/2026", "--json").stdout)
    assert done["delegations"] == [
        {
            "acting_as": "kepala_dinas",
            "kind": "Plt.",
            "start": "2026-12-01",
            "end": "2026-12-31",
            "decree": "800/45/BKPSDM/2026",
        }
    ]
    bad = run(env, *args, "--kind", "Pj.", "--decree", "x")
    assert bad.returncode == 2 and "--kind" in bad.stderr
    backwards = run(
        env, "user", "delegate", "hendra", "--kind", "Plh.", "--from", "2026-12-31", "--to", "2026-12-01",
        "--decree", "x",
    )  # fmt: skip
    assert backwards.returncode == 2 and "before it starts" in backwards.stderr


def test_user_commands_go_to_a_server_store_and_db_stays_a_file(env: dict[str, str]) -> None:
    env = {**env, "SIPELANGI_STORE": "https://sipelangi.pangkalpinangkota.go.id"}
    db = env.pop("SIPELANGI_DB")
    proc = run(env, "user", "list")  # the server's accounts: with a token of its admin
    assert proc.returncode == 2 and "no API token" in proc.stderr and "sipelangi-net login" in proc.stderr
    add_engineer({k: v for k, v in env.items() if k != "SIPELANGI_STORE"} | {"SIPELANGI_DB": db})
    listed = json.loads(ok(env, "user", "list", "--db", db, "--json").stdout)  # --db wins over the URL
    assert [a["username"] for a in listed] == ["budi"]
    refused = run(env, "user", "list", "--store", "tickets.db")
    assert refused.returncode == 2 and "not a server URL" in refused.stderr


# --- login ------------------------------------------------------------------------------
def credentials(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "sipelangi-net" / "credentials.json"


def test_login_with_a_given_token_saves_it_privately(env: dict[str, str]) -> None:
    first, second = tokens.new_token(), tokens.new_token()
    one = ok(env, "login", "http://127.0.0.1:8700", "--token-stdin", stdin=first + "\n")
    two = ok(env, "login", "https://sipelangi.pangkalpinangkota.go.id/", "--token-stdin", stdin=second + "\n")
    for proc in (one, two):
        assert first not in proc.stdout + proc.stderr and second not in proc.stdout + proc.stderr
    path = credentials(env)
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    saved = json.loads(path.read_text())["servers"]
    assert saved["http://127.0.0.1:8700/api/v1"]["token"] == first
    assert saved["https://sipelangi.pangkalpinangkota.go.id/api/v1"]["token"] == second
    bad = run(env, "login", "http://127.0.0.1:8700", "--token-stdin", stdin="hunter2hunter2\n")
    assert bad.returncode == 2 and "not a SiPelangi API token" in bad.stderr and "hunter2" not in bad.stderr


@pytest.mark.parametrize("url", ["http://10.20.0.5:8700", "http://sipelangi.pangkalpinangkota.go.id"])
def test_login_refuses_plain_http_off_loopback(env: dict[str, str], url: str) -> None:
    proc = run(env, "login", url, "--token-stdin", stdin=tokens.new_token() + "\n")
    assert proc.returncode == 2 and "https://" in proc.stderr
    proc = run(env, "login", url, "--password-stdin", stdin=PASSWORD + "\n")
    assert proc.returncode == 2 and "https://" in proc.stderr
    assert not credentials(env).exists()


class TokenServer:
    """A stand-in for the server's POST /api/v1/auth/token (the contract in accounts/login.py)."""

    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        self.status, self.answer = status, answer
        self.bodies: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                owner.bodies.append({"path": self.path, **json.loads(self.rfile.read(size))})
                raw = json.dumps(owner.answer).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> TokenServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def issued() -> Iterator[str]:
    yield tokens.new_token()


def test_login_with_a_password_saves_the_servers_token(env: dict[str, str], issued: str) -> None:
    answer = {"token": issued, "expires_at": "2027-03-01T09:00:00+00:00"}
    with TokenServer(200, answer) as server:
        proc = ok(
            env, "login", server.url, "-u", "budi", "--name", "laptop", "--password-stdin", stdin=PASSWORD
        )
    assert server.bodies == [
        {"path": "/api/v1/auth/token", "username": "budi", "password": PASSWORD, "name": "laptop"}
    ]
    assert issued not in proc.stdout + proc.stderr and PASSWORD not in proc.stdout + proc.stderr
    assert "expires 2027-03-01" in proc.stdout
    saved = json.loads(credentials(env).read_text())["servers"][server.url + "/api/v1"]
    assert saved == {"token": issued, "username": "budi", "expires_at": "2027-03-01T09:00:00+00:00"}


@pytest.mark.parametrize(
    ("status", "answer", "code", "words"),
    [
        (401, {"error": "username or password wrong", "code": "unauthorized"}, 6, "refused the login"),
        (429, {"error": "too many failed logins", "code": "throttled"}, 6, "too many failed logins"),
        (404, {"error": "no such route", "code": "no_route"}, 6, "--token-stdin"),
        (200, {"token": "not-a-token"}, 6, "invalid login answer"),
    ],
)
def test_a_refused_login_saves_nothing(
    env: dict[str, str], status: int, answer: dict[str, Any], code: int, words: str
) -> None:
    with TokenServer(status, answer) as server:
        proc = run(env, "login", server.url, "-u", "budi", "--password-stdin", stdin=PASSWORD + "\n")
    assert proc.returncode == code and words in proc.stderr and PASSWORD not in proc.stderr
    assert not credentials(env).exists()


def test_exchange_errors_are_typed(issued: str) -> None:
    def answer(status: int, body: dict[str, Any]) -> httpx.MockTransport:
        return httpx.MockTransport(lambda request: httpx.Response(status, json=body))

    with pytest.raises(LoginThrottled):
        exchange_password(
            "http://127.0.0.1:1", "b", PASSWORD, name="n", transport=answer(429, {"error": "x"})
        )
    with pytest.raises(AuthError):
        exchange_password(
            "http://127.0.0.1:1", "b", PASSWORD, name="n", transport=answer(401, {"error": "x"})
        )
    got = exchange_password(
        "https://s.example", "b", PASSWORD, name="n", transport=answer(200, {"token": issued})
    )
    assert got.token == issued and got.api_root == "https://s.example/api/v1" and issued not in repr(got)


# --- the HTTP store's token -------------------------------------------------------------------
def test_the_http_store_uses_the_saved_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issued: str
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    save_token("https://sipelangi.example/api/v1", issued, username="budi")
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"items": [], "next": None, "limit": 50})

    with HttpStore("https://sipelangi.example", token=None, transport=httpx.MockTransport(answer)) as store:
        assert store.tickets() == []
    with HttpStore(
        "https://sipelangi.example", token="spl_given", transport=httpx.MockTransport(answer)
    ) as store:
        store.tickets()
    assert seen == [f"Bearer {issued}", "Bearer spl_given"]
    with pytest.raises(SecretsError, match=r"sipelangi-net login https://other\.example"):
        HttpStore("https://other.example", token=None)


def test_the_http_store_refuses_a_readable_credentials_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issued: str
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = save_token("https://sipelangi.example/api/v1", issued)
    assert stored_token("https://sipelangi.example/api/v1") == issued
    os.chmod(path, 0o644)
    with pytest.raises(SecretsError, match="chmod 600"):
        HttpStore("https://sipelangi.example", token=None)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1:8700", False),
        ("http://127.8.9.10:8700", False),
        ("http://[::1]:8700", False),
        ("http://localhost:8700", False),
        ("https://10.20.0.5", False),
        ("http://10.20.0.5:8700", True),
        ("http://sipelangi.pangkalpinangkota.go.id", True),
        ("http://localhost.evil.example", True),
    ],
)
def test_the_http_store_refuses_plain_http_off_loopback(url: str, refused: bool) -> None:
    if refused:
        with pytest.raises(ConfigError, match="https://"):
            HttpStore(url, token="spl_x")
    else:
        HttpStore(url, token="spl_x").close()


# --- passwords typed in a terminal ------------------------------------------------------------
def typed(env: dict[str, str], args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the CLI in a pseudo-terminal (its controlling tty), typing ``answers`` at each prompt."""
    import pty
    import select
    import signal
    import termios
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the CLI
        os.execve(CLI, [CLI, *args], env)
    out, pending, deadline = b"", list(answers), time.monotonic() + 30
    status: int | None = None
    try:
        while status is None or select.select([fd], [], [], 0)[0]:
            if time.monotonic() > deadline:
                raise AssertionError(f"the CLI did not finish: {out!r}")
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    out += os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if pending and out.rstrip().endswith(b":"):
                    time.sleep(0.3)  # let getpass switch the echo off and start reading
                    while termios.tcgetattr(fd)[3] & termios.ECHO and time.monotonic() < deadline:
                        time.sleep(0.05)
                    os.write(fd, pending.pop(0).encode() + b"\r")
            if status is None:
                done, code = os.waitpid(pid, os.WNOHANG)
                status = code if done else None
    finally:
        while status is None and time.monotonic() < deadline:  # the terminal closed: the CLI ends
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
            else:
                time.sleep(0.05)
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert status is not None, out
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_a_password_is_asked_twice_in_a_terminal_and_never_echoed(env: dict[str, str]) -> None:
    code, out = typed(
        env, ["user", "add", "budi", "--role", "tim_kerja", "--name", "Budi"], [PASSWORD, PASSWORD]
    )
    assert code == 0, out
    assert out.count("Password") == 2 and PASSWORD not in out
    code, out = typed(env, ["user", "passwd", "budi"], ["kopi-tubruk-tanpa-gula", "kopi-tubruk-tanpa-gulx"])
    assert code == 2 and "the two passwords differ" in out and "kopi" not in out
    accounts = SqliteAccounts(Path(env["SIPELANGI_DB"]))
    try:
        assert accounts.authenticate("budi", PASSWORD).username == "budi"
    finally:
        accounts.close()


def test_debug_logs_carry_no_password_nor_token(env: dict[str, str]) -> None:
    ok(
        env,
        "-vv",
        "user",
        "add",
        "budi",
        "--role",
        "tim_kerja",
        "--name",
        "Budi",
        "--password-stdin",
        stdin=PASSWORD,
    )
    made = ok(env, "-vv", "user", "token", "budi", "--name", "laptop")
    token = made.stdout.strip()
    assert "got a new API token, #1 (laptop)" in made.stderr and token not in made.stderr
    passwd = ok(env, "-vv", "user", "passwd", "budi", "--password-stdin", stdin=PASSWORD[::-1])
    assert "changed the password" in passwd.stderr and PASSWORD[::-1] not in passwd.stderr
    login = ok(env, "-vv", "login", "http://127.0.0.1:8700", "-u", "budi", "--token-stdin", stdin=token)
    revoked = ok(env, "-vv", "user", "token-revoke", "budi", "1")
    for proc in (login, revoked):
        assert token not in proc.stdout + proc.stderr and tokens.token_digest(token) not in proc.stderr
