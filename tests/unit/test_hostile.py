"""Hostile input against the CLI and the SiPelangi API (issue 13, "How it is checked").

Cases are data (tests/unit/hostile_cases.py); every case is held to the same generic checks,
whatever exit codes or messages the code chooses:

- no Python traceback in any output or response, and no internal error (exit 70, HTTP 5xx);
- a refused input changes nothing in the store (a digest of every table before and after);
- an input that must be refused is refused; an odd but valid one is stored and shown as text;
- a CLI error is one line starting with ``error:`` that names the field, file or ticket;
- no output carries raw control characters, and no rendered config carries an injected line.

The CLI runs in-process through ``sipelangi_net.cli.main.main`` (its real exit-code mapping)
inside Click's CliRunner isolation; inputs that may hang or eat memory (``/dev/zero``, YAML bombs)
run as a subprocess under a memory and time cap. The API is the real ``sipelangi-net serve`` on
127.0.0.1, one server and one CLI store per module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from analysis_data import catalogues, day0_facts
from api_server import Server, SopClients, running_server
from hostile_cases import (
    INJECT,
    INJECTED_NEXTHOP,
    PATHS,
    ApiCase,
    CliCase,
    State,
    api_cases_static,
    cli_cases,
    plan_cases,
)
from test_documents_data import bw_json, deploy_json
from ticket_data import request
from typer.testing import CliRunner

from sipelangi_net.analysis.analyze import Inputs, analyze
from sipelangi_net.analysis.catalogues import Catalogues
from sipelangi_net.analysis.steps import prepare_ticket, schedule_ticket
from sipelangi_net.cli.main import main
from sipelangi_net.errors import SipelangiError
from sipelangi_net.tickets import policy
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore, utcnow

pytestmark = pytest.mark.timeout(120)

TRACEBACK = "Traceback (most recent call last)"
# Raw control and format characters that must never reach a terminal (tab and newline are layout).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
# A line of its own that is the injected command (escaped text inside another line is harmless).
INJECTED_LINE = re.compile(rf"^\s*ip route 0\.0\.0\.0/0 {re.escape(INJECTED_NEXTHOP)}\b")
SANDBOX = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))
sys.argv = ["sipelangi-net", *sys.argv[1:]]
from sipelangi_net.cli.main import main
main()
"""
STATES: tuple[State, ...] = (
    "forwarded",
    "approved",
    "analysed",
    "prepared",
    "scheduled",
    "deployed",
    "tested",
)
CLI_CASES = cli_cases()
API_CASES = api_cases_static()
PLAN_CASES = plan_cases()


# --- the module's environment, store and server -----------------------------------------------
@dataclass(frozen=True)
class World:
    base: Path
    db: Path
    server: Server
    cat: Catalogues


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(("SIPELANGI_", "SMTP", "XDG_")):
                mp.delenv(key)
        for key, sub in {
            "HOME": "home",
            "XDG_DATA_HOME": "data",
            "XDG_CONFIG_HOME": "config",
            "XDG_RUNTIME_DIR": "run",
            "SIPELANGI_REPORTS": "reports",
            "SIPELANGI_BACKUPS": "backups",
            "SIPELANGI_LOCKS": "locks",
        }.items():
            (base / sub).mkdir(mode=0o700)
            mp.setenv(key, str(base / sub))
        # One audit key and checkpoint file for the module's stores (the server's and the CLI's).
        mp.setenv("SIPELANGI_AUDIT_KEY", str(base / "config" / "audit.key"))
        mp.setenv("SIPELANGI_CHECKPOINTS", str(base / "backups" / "checkpoints.jsonl"))
        mp.setenv("COLUMNS", "400")
        mp.setenv("NO_COLOR", "1")
        mp.setenv("TERM", "dumb")
        db = base / "tickets.db"
        st = SqliteStore(db)
        try:
            _ = st.conn  # the store exists before the first case reads it
        finally:
            st.close()
        with running_server(base / "serve") as server:
            yield World(base=base, db=db, server=server, cat=catalogues())


@dataclass(frozen=True)
class Made:
    """A case's ticket, made before any case runs (so no case's input can stop another's setup)."""

    tid: str
    created_at: dt.datetime


@pytest.fixture(scope="module")
def made(world: World) -> dict[str, Made]:
    """Every case's ticket, in the CLI store or the server's, brought to the case's state."""
    out: dict[str, Made] = {}
    local, remote = sqlite_store(world), http_store(world)
    try:
        for cli in CLI_CASES:
            if cli.state is not None:
                out[cli.id] = advance_to(local, cli.state, world.cat)
        for api in API_CASES:
            if api.state is not None:
                out[api.id] = advance_to(remote, api.state, world.cat)
        for name in PLAN_CASES:
            out[f"api-plan-{name}"] = advance_to(remote, "approved", world.cat)
            out[f"render-sqlite-{name}"] = advance_to(local, "approved", world.cat)
            out[f"render-http-{name}"] = advance_to(remote, "approved", world.cat)
    finally:
        local.close()
        remote.close()
    return out


@pytest.fixture(autouse=True)
def module_anchors(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case speaks to the module's stores with the module's audit key (not a per-test one)."""
    monkeypatch.setenv("SIPELANGI_AUDIT_KEY", str(world.base / "config" / "audit.key"))
    monkeypatch.setenv("SIPELANGI_CHECKPOINTS", str(world.base / "backups" / "checkpoints.jsonl"))


def sqlite_store(w: World) -> SqliteStore:
    return SqliteStore(w.db)


def http_store(w: World) -> SopClients:
    """The server, each move sent with the token of the role the SOP names for it."""
    return SopClients(w.server)


def advance_to(st: Any, state: State, cat: Catalogues) -> Made:
    """A new ticket brought to ``state`` the way the commands do it (outputs of the real stages).

    The store is shared by all cases: when an earlier case left a malformed ticket that stops
    this one (issue 13, item 3), the case fails here and says so.
    """
    try:
        return _advance(st, state, cat)
    except SipelangiError as exc:
        pytest.fail(
            f"setting up a {state} ticket failed; an earlier case's ticket stops this one (item 3): {exc}"
        )


def _advance(st: Any, state: State, cat: Catalogues) -> Made:
    ticket = st.create(request(), helpdesk="Helpdesk Diskominfo")
    tid: str = ticket.id
    wanted = STATES.index(state)
    if wanted >= 1:
        st.apply(tid, Move(step=3, actor="Kepala Dinas", outcome="approve"))
    if wanted >= 2:
        st.apply(tid, Move(step=4, actor="Tim Kerja", outputs={"plan": real_plan(st, tid, cat)}))
    if wanted >= 3:
        prepare_ticket(st, tid, cat, actor="Tim Kerja", now=utcnow())
    if wanted >= 4:
        schedule_ticket(st, tid, cat, actor="Helpdesk Diskominfo")
    if wanted >= 5:
        st.apply(tid, Move(step=7, actor="Tim Kerja", outputs={"deploy": deploy_json(tid)}))
    if wanted >= 6:
        st.apply(tid, Move(step=8, actor="Tim Kerja", outputs={"bwtest": bw_json(tid)}))
    return Made(tid, ticket.created_at)


def real_plan(st: Any, tid: str, cat: Catalogues) -> dict[str, Any]:
    now = utcnow()
    ticket = st.get(tid)
    plan = analyze(Inputs(tid, ticket.request, cat, day0_facts(cat, at=now), (), now))
    assert plan.available, plan.problems
    return plan.model_dump(mode="json")


def digest(db: Path) -> str:
    """Every row of every ticket table of the store (a refused input changes none of them); the
    account tables are left out (a token's ``last_used_at`` is touched by any request)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        h = hashlib.sha256()
        tables = [
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        for table in tables:
            if table in ("api_tokens", "login_failures"):
                continue
            for row in con.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        con.close()


def ticket_ids(db: Path) -> set[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0] for r in con.execute("SELECT id FROM tickets")}
    finally:
        con.close()


# --- running the CLI ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ran:
    code: int | str
    out: str
    err: str


def run_cli(args: list[str], env: dict[str, str] | None = None) -> Ran:
    """``sipelangi-net ARGS`` in-process through the real ``main()`` (exit-code mapping included)."""
    loggers = [logging.getLogger(n) for n in ("sipelangi_net", "paramiko", "netmiko", "nornir")]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    argv = sys.argv
    code: int | str = 0
    try:
        with CliRunner().isolation(env=env or {}) as (out, err, _):
            sys.argv = ["sipelangi-net", *args]
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
            except BaseException:  # a crash that escaped main(): report it as the traceback it is
                code = "crash"
                print(traceback.format_exc(), file=sys.stderr)
            sys.stdout.flush()
            sys.stderr.flush()
            return Ran(code, out.getvalue().decode(errors="replace"), err.getvalue().decode(errors="replace"))
    finally:
        sys.argv = argv
        for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            lg.handlers[:], lg.level, lg.propagate = handlers, level, propagate


def run_sandboxed(args: list[str], env: dict[str, str]) -> Ran:
    """``sipelangi-net ARGS`` in a subprocess with 1.5 GiB of address space and 30 s."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", SANDBOX, *args],
            env={**os.environ, **env},
            capture_output=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Ran("timeout (hangs)", "", "")
    return Ran(proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def check_output_clean(ran: Ran, what: str) -> None:
    for name, text in (("stdout", ran.out), ("stderr", ran.err)):
        assert TRACEBACK not in text, f"{what}: a traceback on {name}:\n{text[-3000:]}"
        bad = RAW_CONTROL.search(text)
        assert bad is None, f"{what}: raw control character {bad.group()!r} on {name}: {text[-500:]!r}"
    assert ran.code != 70, f"{what}: internal error (exit 70): {ran.err[-1000:]}"
    assert isinstance(ran.code, int), f"{what}: {ran.code}: {ran.err[-1000:]}"


def check_error_line(case: CliCase, ran: Ran, values: dict[str, str]) -> None:
    if "Usage:" in ran.err:  # a usage error from Click itself (unknown option, bad integer, ...)
        return
    lines = [line for line in ran.err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, f"{case.id}: expected one 'error:' line on stderr, got: {ran.err[-1500:]!r}"
    after = ran.err.split(lines[0], 1)[1].strip()
    assert not after, f"{case.id}: the error runs over more than one line: {lines[0]!r} then {after[:300]!r}"
    if case.mentions:
        wanted = [fill(m, values).casefold() for m in case.mentions]
        assert any(m in lines[0].casefold() for m in wanted), (
            f"{case.id}: the error does not name {' or '.join(wanted)}: {lines[0]!r}"
        )


def check_shown(case: CliCase, w: World, tid: str) -> None:
    shown = run_cli(["ticket", "show", tid, "--db", str(w.db)])
    check_output_clean(shown, f"{case.id}: ticket show {tid}")
    assert shown.code == 0, f"{case.id}: ticket show {tid} exits {shown.code}: {shown.err[-800:]}"
    for text in case.shows:
        assert text in shown.out, f"{case.id}: ticket show does not print {text!r} as text:\n{shown.out}"


def _cli_values(case: CliCase, w: World, tmp_path: Path, made: dict[str, Made]) -> dict[str, str]:
    values = {"db": str(w.db), "url": w.server.url, "out": str(tmp_path / "out")}
    if case.file is not None:
        path = tmp_path / f"permohonan{case.suffix}"
        path.write_bytes(case.file)
        values["file"] = str(path)
    if case.state is not None:
        values["tid"] = made[case.id].tid
    return values


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli_case(case: CliCase, world: World, made: dict[str, Made], tmp_path: Path) -> None:
    values = _cli_values(case, world, tmp_path, made)
    args = [fill(a, values) for a in case.args]
    env = {k: fill(v, values) for k, v in case.env.items()}
    before, ids_before = digest(world.db), ticket_ids(world.db)
    ran = run_sandboxed(args, env) if case.sandbox else run_cli(args, env)
    after, new_ids = digest(world.db), ticket_ids(world.db) - ids_before
    check_output_clean(ran, case.id)
    if ran.code != 0:
        assert after == before, f"{case.id}: refused (exit {ran.code}) but the store changed"
        assert case.expect != "store", f"{case.id}: a valid input was refused: {ran.err[-800:]}"
        check_error_line(case, ran, values)
        return
    assert case.expect != "refuse", (
        f"{case.id}: accepted (exit 0) but must be refused"
        + ("; the store changed" if after != before else "")
        + f"; output: {ran.out[-300:]!r}"
    )
    if case.shows:
        tid = values.get("tid") or (sorted(new_ids)[-1] if new_ids else "")
        assert tid, f"{case.id}: exit 0 but no ticket was stored"
        check_shown(case, world, tid)


# --- the API ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    text: str


def _auth(case: ApiCase, token: str) -> dict[str, str]:
    if case.auth is None:
        return {}
    if case.auth == "valid":
        return {"Authorization": f"Bearer {token}"}
    return {"Authorization": case.auth.replace("{token}", token)}


def token_for(w: World, case: ApiCase) -> str:
    """The token of the account whose role the SOP names for the case's move (the server decides who
    acts: a valid move sent by another role is refused 403 before its input is checked); otherwise
    the helpdesk's, which opens tickets and reads them."""
    body = case.body if isinstance(case.body, dict) else {}
    step, outcome = body.get("step"), body.get("outcome", "done")
    if type(step) in (int, float) and step in range(1, 13):  # 3.0 is step 3 in JSON
        role = policy.rule(int(step), outcome if isinstance(outcome, str) else "done").roles[0]
        return w.server.tokens.get(role, w.server.token)
    return w.server.tokens[policy.HELPDESK]


def call(w: World, case: ApiCase, path: str) -> Answer:
    token = token_for(w, case)
    if case.raw is not None:
        return raw_call(w, fill(case.raw.decode("latin-1"), {"token": token}).encode("latin-1"))
    headers = _auth(case, token)
    content: bytes | None = None
    if case.raw_body is not None:
        content = case.raw_body
    elif case.body is not None:
        content = json.dumps(case.body).encode()
    if content is not None:
        headers["Content-Type"] = "application/json"
    try:
        with httpx.Client(base_url=w.server.url, timeout=30) as client:
            r = client.request(case.method, path, content=content, headers=headers)
    except httpx.TransportError as exc:
        pytest.fail(f"{case.id}: the server dropped the connection: {exc!r}")
    return Answer(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.text)


def raw_call(w: World, data: bytes) -> Answer:
    host, port = w.server.url.removeprefix("http://").split(":")
    data = data.replace(b"{host}", f"{host}:{port}".encode())
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it may answer before reading all
            sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    reply = b"".join(chunks).decode("latin-1")
    head, _, body = reply.partition("\r\n\r\n")
    lines = head.split("\r\n")
    assert lines and lines[0].startswith("HTTP/1.1 "), f"no HTTP answer: {reply[:300]!r}"
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return Answer(int(lines[0].split()[1]), headers, body)


def log_tail(w: World, since: int) -> str:
    return w.server.log.read_bytes()[since:].decode(errors="replace")


def check_answer(case: ApiCase, ans: Answer, log: str) -> None:
    assert ans.status < 500, f"{case.id}: HTTP {ans.status}: {ans.text[:800]}"
    assert TRACEBACK not in ans.text, f"{case.id}: a traceback in the response"
    assert TRACEBACK not in log, f"{case.id}: a traceback in the server log:\n{log[-2000:]}"
    if case.statuses:
        assert ans.status in case.statuses, (
            f"{case.id}: HTTP {ans.status}, expected {case.statuses}: {ans.text[:500]}"
        )
    if ans.status >= 400 and case.raw is None:
        try:
            body = json.loads(ans.text)
        except ValueError:
            pytest.fail(f"{case.id}: HTTP {ans.status} with a body that is not JSON: {ans.text[:300]!r}")
        assert isinstance(body, dict) and "error" in body, f"{case.id}: error body {ans.text[:300]}"
        assert RAW_CONTROL.search(str(body["error"])) is None, f"{case.id}: raw control characters: {body!r}"
    if ans.status == 401:
        assert ans.headers.get("www-authenticate", "").lower().startswith("bearer"), (
            f"{case.id}: no challenge"
        )


def check_allow(case: ApiCase, ans: Answer, w: World, path: str) -> None:
    if ans.status != 405:
        return
    documented = set(PATHS[path])
    allow = {m.strip().upper() for m in ans.headers.get("allow", "").split(",") if m.strip()}
    assert documented <= allow, f"{case.id}: Allow {sorted(allow)} lacks {sorted(documented - allow)}"
    for method in sorted(allow - documented):
        other = call(w, replace(case, method=method, body=None, statuses=()), path)
        assert other.status != 405, f"{case.id}: Allow lists {method}, which answers 405"


def check_ticket_readable(case: ApiCase, w: World, ticket: Made) -> None:
    """Listing still works for everyone, and the ticket's plan (if any) renders without injected lines."""
    tid, at = ticket.tid, ticket.created_at
    with httpx.Client(base_url=w.server.url, timeout=30) as client:
        r = client.get(
            "/api/v1/tickets",
            params={"since": at.isoformat(), "until": (at + dt.timedelta(milliseconds=1)).isoformat()},
            headers={"Authorization": f"Bearer {w.server.token}"},
        )
    assert r.status_code == 200, (
        f"{case.id}: afterwards GET /api/v1/tickets answers {r.status_code}: {r.text[:300]}"
    )
    check_rendered(case.id, http_store(w), tid, w.cat)


def check_rendered(what: str, st: Any, tid: str, cat: Catalogues) -> None:
    """Render the ticket's stored plan as render/diff/deploy read it: refused, or free of injected lines."""
    from sipelangi_net.analysis.steps import stored_plan
    from sipelangi_net.change.render import render_plan

    try:
        try:
            plan = stored_plan(st.get(tid), "render")
            rendered = render_plan(plan, cat.inventory)
        except SipelangiError:
            return  # refused: nothing reaches a device
    finally:
        st.close()
    for device, intended in rendered.items():
        for line in intended.text.splitlines():
            assert not INJECTED_LINE.match(line), f"{what}: {device} renders an injected line: {line!r}"


@pytest.mark.parametrize("case", API_CASES, ids=[c.id for c in API_CASES])
def test_api_case(case: ApiCase, world: World, made: dict[str, Made]) -> None:
    ticket = made.get(case.id)
    tid = ticket.tid if ticket else ""
    path = case.path.replace("{tid}", tid).replace("{token}", world.server.token)
    before, log_at = digest(world.server.db), world.server.log.stat().st_size
    ans = call(world, case, path)
    after = digest(world.server.db)
    check_answer(case, ans, log_tail(world, log_at))
    check_allow(case, ans, world, path)
    if ans.status >= 400:
        assert after == before, f"{case.id}: refused (HTTP {ans.status}) but the store changed"
        assert case.expect != "store", (
            f"{case.id}: a valid input was refused: HTTP {ans.status} {ans.text[:500]}"
        )
    else:
        assert case.expect != "refuse", f"{case.id}: accepted (HTTP {ans.status}) but must be refused" + (
            "; the store changed" if after != before else ""
        )
    if ticket:
        check_ticket_readable(case, world, ticket)


# --- stored plans: posted through the API, or planted in a store and read back ------------------------------
def hostile_plan(plan: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(plan))
    node: Any = data
    *parents, last = dotted.split(".")
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


@pytest.mark.parametrize("name", PLAN_CASES)
def test_api_step4_hostile_plan(name: str, world: World, made: dict[str, Made]) -> None:
    """A step 4 whose plan carries a hostile value is refused by the server (item 2)."""
    case = ApiCase(f"api-plan-{name}", "POST", "", "2")
    ticket = made[case.id]
    tid = ticket.tid
    st = http_store(world)
    try:
        dotted, value, expect = PLAN_CASES[name]
        plan = hostile_plan(real_plan(st, tid, world.cat), dotted, value)
    finally:
        st.close()
    before, log_at = digest(world.server.db), world.server.log.stat().st_size
    ans = call(
        world,
        replace(case, body={"step": 4, "actor": "Tim Kerja", "outputs": {"plan": plan}}),
        f"/api/v1/tickets/{tid}/events",
    )
    check_answer(case, ans, log_tail(world, log_at))
    if ans.status >= 400:
        assert digest(world.server.db) == before, f"{case.id}: refused but the store changed"
    else:
        assert expect != "refuse", f"{case.id}: a plan with {name} was stored (HTTP {ans.status})"
    check_ticket_readable(case, world, ticket)


def plant_plan(db: Path, tid: str, plan: dict[str, Any]) -> None:
    """Put a step 4 with ``plan`` into the SQLite file as a hostile writer would (hash chain kept)."""
    from sipelangi_net.tickets.chain import event_hash
    from sipelangi_net.tickets.sop import STEP_BY_NUMBER

    con = sqlite3.connect(db)
    try:
        seq, prev, ended = con.execute(
            "SELECT seq, hash, ended_at FROM events WHERE ticket_id = ? ORDER BY seq DESC LIMIT 1", (tid,)
        ).fetchone()
        now = utcnow()
        fields: dict[str, Any] = {
            "ticket_id": tid,
            "seq": seq + 1,
            "step": 4,
            "outcome": "done",
            "actor": "Tim Kerja",
            "role": STEP_BY_NUMBER[4].role.value,
            "started_at": dt.datetime.fromisoformat(ended),
            "ended_at": now,
            "note": "",
            "outputs": {"plan": plan},
        }
        try:
            digest_ = event_hash(prev_hash=prev, **fields)
        except (TypeError, ValueError):  # the chain may be keyed: a hostile writer lacks the key
            digest_ = "0" * 64
        with con:
            con.execute(
                "INSERT INTO events (ticket_id, seq, step, outcome, actor, role, started_at, ended_at, note,"
                " outputs, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tid,
                    seq + 1,
                    4,
                    "done",
                    "Tim Kerja",
                    fields["role"],
                    fields["started_at"].astimezone(dt.UTC).isoformat(timespec="microseconds"),
                    now.isoformat(timespec="microseconds"),
                    "",
                    json.dumps({"plan": plan}, sort_keys=True),
                    prev,
                    digest_,
                ),
            )
            con.execute("UPDATE tickets SET status = 'analysed' WHERE id = ?", (tid,))
    finally:
        con.close()


def _render_cli(
    what: str, args: list[str], out: Path, env: dict[str, str] | None = None, *, refuse: bool = False
) -> None:
    ran = run_cli(args, env)
    check_output_clean(ran, what)
    if ran.code != 0:
        return  # refused: nothing reaches a device
    for path in out.glob("*"):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert not INJECTED_LINE.match(line), f"{what}: {path.name} renders an injected line: {line!r}"
    assert INJECT.splitlines()[1] not in ran.out, f"{what}: the injected route is printed"
    assert not refuse, (
        f"{what}: a hostile plan read back from the store was rendered: {sorted(out.glob('*'))}"
    )


@pytest.mark.parametrize("via", ["sqlite", "http"])
@pytest.mark.parametrize("name", PLAN_CASES)
def test_render_of_planted_plan(
    name: str, via: str, world: World, made: dict[str, Made], tmp_path: Path
) -> None:
    """A hostile plan already in a store (written behind the API's back) never renders (item 2)."""
    if via == "sqlite":
        db = world.db
        st: Any = sqlite_store(world)
        where = ["--db", str(db)]
        env = None
    else:
        db = world.server.db
        st = http_store(world)
        where = ["--store", world.server.url]
        env = {"SIPELANGI_TOKEN": world.server.token}
    try:
        tid = made[f"render-{via}-{name}"].tid
        dotted, value, expect = PLAN_CASES[name]
        plan = hostile_plan(real_plan(st, tid, world.cat), dotted, value)
    finally:
        st.close()
    plant_plan(db, tid, plan)
    out = tmp_path / "intended"
    argv = ["render", tid, *where, "--out", str(out)]
    _render_cli(f"render-{via}-{name}", argv, out, env, refuse=expect == "refuse")


# --- afterwards: every stored ticket lists, renders clean, and stops no other ticket ---------------
def test_zz_the_cli_store_still_serves_every_other_ticket(world: World, tmp_path: Path) -> None:
    """After all the cases, listing, the SLA report and the next ticket's steps still work (item 3)."""
    for args in (["ticket", "list", "--json"], ["ticket", "sla", "--json"]):
        ran = run_cli([*args, "--db", str(world.db)])
        check_output_clean(ran, " ".join(args))
        assert ran.code == 0, f"{' '.join(args)} fails after the hostile cases: {ran.err[-800:]}"
    st = sqlite_store(world)
    try:
        tid = advance_to(st, "analysed", world.cat).tid
    finally:
        st.close()
    for command in ("prepare", "schedule"):
        ran = run_cli([command, tid, "--actor", "Tim Kerja", "--db", str(world.db)])
        check_output_clean(ran, command)
        assert ran.code == 0, f"{command} of a good ticket fails after the hostile cases: {ran.err[-800:]}"


def test_zz_no_stored_plan_renders_an_injected_line(world: World, tmp_path: Path) -> None:
    """Every plan in both stores, rendered as `render` reads it: refused, or free of injected lines."""
    for db, where, env in (
        (world.db, ["--db", str(world.db)], None),
        (world.server.db, ["--store", world.server.url], {"SIPELANGI_TOKEN": world.server.token}),
    ):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            tids = sorted({r[0] for r in con.execute("SELECT ticket_id FROM events WHERE step = 4")})
        finally:
            con.close()
        assert tids
        for tid in tids:
            out = tmp_path / tid / where[0].lstrip("-")
            _render_cli(f"render {tid} {where[0]}", ["render", tid, *where, "--out", str(out)], out, env)


def test_zz_the_api_still_lists_every_ticket(world: World) -> None:
    with httpx.Client(base_url=world.server.url, timeout=60) as client:
        r = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {world.server.token}"})
    assert r.status_code == 200, (
        f"GET /api/v1/tickets answers {r.status_code} after the cases: {r.text[:300]}"
    )


def test_zz_no_queued_mail_carries_injected_text(world: World) -> None:
    """The outbox of both stores: one-line subjects, and no CR or injected line in any body (item 7)."""
    for db in (world.db, world.server.db):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT ticket_id, recipient, subject, body FROM notifications").fetchall()
        finally:
            con.close()
        for tid, recipient, subject, body in rows:
            for name, text in (("recipient", recipient), ("subject", subject)):
                assert "\n" not in text and "\r" not in text, f"{tid}: a mail {name} holds CR/LF: {text!r}"
            assert "\r" not in body, f"{tid}: a mail body holds CR: {body!r}"
            bad = RAW_CONTROL.search(body)
            assert bad is None, f"{tid}: a mail body holds {bad.group()!r}: {body!r}"
            for line in body.splitlines():
                assert not INJECTED_LINE.match(line), f"{tid}: a mail body carries an injected line: {line!r}"
