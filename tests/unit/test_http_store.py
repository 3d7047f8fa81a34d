"""The HTTP store against the real ``sipelangi-net serve`` (a subprocess on 127.0.0.1), and the contract file.

No mocks: each server is the console script, started on a free loopback port
with a private database and a mode-600 token file, and stopped by its PID in
the fixture's finalizer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
import yaml
from api_server import Server, SopClients, open_local, running_server, stop
from ticket_data import only, valid

from sipelangi_net.cli.serve import read_token
from sipelangi_net.errors import (
    AuthError,
    ConfigError,
    RequestError,
    SecretsError,
    StoreError,
    TicketNotFound,
    WorkflowError,
)
from sipelangi_net.server.app import create_app, openapi_yaml
from sipelangi_net.server.serve import serve
from sipelangi_net.tickets.chain import verify
from sipelangi_net.tickets.http import HttpStore
from sipelangi_net.tickets.models import Move, Request, Ticket
from sipelangi_net.tickets.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]
WIB = dt.timezone(dt.timedelta(hours=7))
REQUEST = Request.model_validate(
    {
        "opd": "Dinas Kesehatan",
        "site": "dinkes",
        "pic": {
            "name": "Budi Santoso",
            "phone": "+62 812 7100 1234",
            "email": "budi@dinkes.pangkalpinangkota.go.id",
        },
        "users": 40,
        "applications": ["simpeg", "eoffice"],
        "letter": {"number": "005/123/DINKES/2026", "date": "2026-11-20"},
    }
)
ACTOR = {4: "Tim Kerja", 5: "Tim Kerja", 6: "Helpdesk", 7: "Tim Kerja", 8: "Tim Kerja"}
SCHEDULE = {"schedule": "2 Desember 2026 09.00 WIB"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("serve")) as srv:
        yield srv


@pytest.fixture
def store(server: Server) -> Iterator[SopClients]:
    """Each move with the token of the role the SOP names for it (the server decides who acts)."""
    with SopClients(server) as s:
        yield s


@pytest.fixture
def local(server: Server) -> Iterator[SqliteStore]:
    """The same database, opened directly (the reference implementation)."""
    s = open_local(server.db)
    try:
        yield s
    finally:
        s.close()


def own_slot(ticket_id: str) -> dict[str, object]:
    """Step 5's outputs with a slot of this ticket's own (one day per ticket number): the server
    refuses a slot other tickets already hold (409 slot_taken)."""
    start = dt.datetime(2026, 11, 30, 9, tzinfo=WIB) + dt.timedelta(days=int(ticket_id[-5:]))
    end = start + dt.timedelta(hours=3)
    return {"equipment": [], "start": start.isoformat(), "end": end.isoformat(), "schedule": f"{start:%d/%m}"}


def advance(store: SopClients | SqliteStore, ticket_id: str, last: int) -> Ticket:
    """Approve, then do steps 4..last; every returned ticket must verify."""
    ticket = store.apply(ticket_id, Move(step=3, actor="Kadis", outcome="approve"))
    assert verify(ticket) == []
    for step in range(4, last + 1):
        outputs = SCHEDULE if step == 6 else own_slot(ticket_id) if step == 5 else {}
        move = valid(Move(step=step, actor=ACTOR.get(step, "Helpdesk"), outputs=outputs), ticket_id)
        ticket = store.apply(ticket_id, move)
        assert verify(ticket) == [], step
        if step == 10:  # the Kepala Bidang acknowledges the report before the helpdesk closes
            ticket = store.apply(ticket_id, Move(step=10, actor="Kabid", outcome="acknowledge"))
    return ticket


# --- the SOP over HTTP -------------------------------------------------------------------
def test_sop_happy_path_over_http(store: SopClients, local: SqliteStore) -> None:
    opened = store.create(REQUEST, helpdesk="Helpdesk Diskominfo")
    assert opened.status == "forwarded"
    assert [e.step for e in opened.events] == [1, 2]
    assert verify(opened) == []

    closed = advance(store, opened.id, 11)

    assert closed.status == "closed"
    assert [e.step for e in closed.events] == [*range(1, 11), 10, 11]
    assert closed.events[5].outputs == SCHEDULE
    assert store.get(opened.id) == closed
    assert local.get(opened.id) == closed
    assert verify(local.get(opened.id)) == []
    assert closed.id in [t.id for t in store.tickets(status="closed")]


def test_times_round_trip_exactly(store: SopClients, local: SqliteStore) -> None:
    ticket = store.create(REQUEST, helpdesk="Helpdesk")
    now = dt.datetime.now(WIB)  # after the ticket opened: a step never starts before the previous one
    started = (now + dt.timedelta(seconds=1)).replace(microsecond=123456)
    ended = (now + dt.timedelta(minutes=2)).replace(microsecond=654321)  # within the 5 min of clock skew
    move = Move(step=3, actor="Kadis", outcome="approve", started_at=started, ended_at=ended)

    approved = store.apply(ticket.id, move)

    last = approved.events[-1]
    assert (last.started_at, last.ended_at) == (started, ended)
    assert last.ended_at.microsecond == 654321
    assert verify(approved) == []
    assert Ticket.model_validate(approved.model_dump(mode="json")) == approved
    assert local.get(ticket.id) == approved


def test_lists_agree_with_the_sqlite_store(store: SopClients, local: SqliteStore) -> None:
    before = dt.datetime.now(dt.UTC)
    made = [store.create(REQUEST, helpdesk="Helpdesk").id for _ in range(2)]
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)

    listed = store.tickets(since=before, until=after)

    assert [t.id for t in listed] == made
    assert listed == local.tickets(since=before, until=after)
    assert store.tickets(status="forwarded", since=before.astimezone(WIB)) == local.tickets(
        status="forwarded", since=before
    )
    assert store.tickets(since=after) == []


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        ([], Move(step=5, actor="Tim Kerja")),
        ([], Move(step=2, actor="Helpdesk")),
        ([], Move(step=3, actor="Kadis", outcome="defer")),
        ([], Move(step=3, actor="Kadis", outcome="done")),
        ([Move(step=3, actor="Kadis", outcome="defer", note="anggaran")], Move(step=4, actor="Tim Kerja")),
        ([Move(step=3, actor="Kadis", outcome="approve")], Move(step=3, actor="Kadis", outcome="approve")),
        ([], Move(step=3, actor="Kadis", outcome="approve", ended_at=dt.datetime(2026, 1, 1, 9))),
    ],
)
def test_refused_moves_give_the_sqlite_stores_message(
    store: SopClients, local: SqliteStore, moves: list[Move], refused: Move
) -> None:
    ticket = store.create(REQUEST, helpdesk="Helpdesk")
    for move in moves:
        store.apply(ticket.id, move)

    with pytest.raises(WorkflowError) as over_http:
        store.apply(ticket.id, refused)
    with pytest.raises(WorkflowError) as direct:
        local.apply(ticket.id, refused)

    assert str(over_http.value) == str(direct.value)
    assert ticket.id in str(over_http.value)
    assert len(store.get(ticket.id).events) == 2 + len(moves)


def test_unknown_ticket(store: SopClients) -> None:
    with pytest.raises(TicketNotFound, match="SPL-2026-99999: not found"):
        store.get("SPL-2026-99999")
    with pytest.raises(TicketNotFound, match="SPL-2026-99999"):
        store.apply("SPL-2026-99999", Move(step=3, actor="Kadis", outcome="approve"))
    with pytest.raises(TicketNotFound):
        store.get("../notifications")


def test_invalid_input_is_a_request_error_naming_the_field(store: SopClients, server: Server) -> None:
    with pytest.raises(RequestError, match="helpdesk"):
        store.create(REQUEST, helpdesk="")

    ticket = store.create(REQUEST, helpdesk="Helpdesk")
    answer = httpx.post(
        f"{server.url}/api/v1/tickets/{ticket.id}/events",
        json={"step": 13, "actor": "Kadis"},
        headers={"Authorization": f"Bearer {server.token}"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "step: SOP steps are numbered 1 to 12"


# --- notifications --------------------------------------------------------------------
def test_outbox_and_deliveries_over_http(store: SopClients) -> None:
    ticket = store.create(REQUEST, helpdesk="Helpdesk")
    advance(store, ticket.id, 6)

    [schedule] = only(store.outbox(ticket_id=ticket.id))
    assert (schedule.kind, schedule.channel, schedule.status) == ("schedule", "email", "pending")
    assert schedule.recipient == "budi@dinkes.pangkalpinangkota.go.id"
    assert "2 Desember 2026 09.00 WIB" in schedule.body
    assert schedule.id in [n.id for n in store.outbox(due=dt.datetime.now(dt.UTC))]

    failed = store.record_delivery(schedule.id, ok=False, error="451 try again later")
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "451 try again later")
    assert failed.next_attempt_at > dt.datetime.now(dt.UTC)
    assert schedule.id not in [n.id for n in store.outbox(due=dt.datetime.now(dt.UTC))]

    sent = store.record_delivery(schedule.id, ok=True)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert sent.sent_at is not None
    assert only(store.outbox(ticket_id=ticket.id)) == []

    store.apply(ticket.id, valid(Move(step=7, actor="Tim Kerja"), ticket.id))
    for step in (8, 9, 10):
        store.apply(ticket.id, valid(Move(step=step, actor="Tim Kerja"), ticket.id))
    store.apply(ticket.id, Move(step=10, actor="Kabid", outcome="acknowledge"))
    store.apply(ticket.id, Move(step=11, actor="Helpdesk"))
    [closing] = only(store.outbox(ticket_id=ticket.id))
    assert (closing.kind, closing.status) == ("closing", "pending")

    assert store.retry_failed(ticket.id) == 0
    with pytest.raises(StoreError, match="notification 999999: not found"):
        store.record_delivery(999999, ok=True)


# --- authentication and reachability -------------------------------------------------------
def test_health_is_open_and_everything_else_needs_the_token(server: Server) -> None:
    api = f"{server.url}/api/v1"
    assert httpx.get(f"{api}/health").json() == {"status": "ok"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {server.token}"}):
        answer = httpx.get(f"{api}/tickets", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["error"] == "missing or wrong bearer token"
    # the token is checked before the body is read
    assert (
        httpx.post(f"{api}/tickets", content=b"{not json", headers={"content-type": "x"}).status_code == 401
    )
    assert httpx.get(f"{api}/elsewhere").status_code == 401
    ok = {"Authorization": f"Bearer {server.token}"}
    assert httpx.get(f"{api}/elsewhere", headers=ok).json()["code"] == "no_route"
    page = httpx.get(f"{server.url}/elsewhere")  # outside /api/: the pages (docs/pages.md), no token
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_wrong_token_is_refused_saying_how_to_log_in_again(server: Server) -> None:
    with (
        HttpStore(server.url, token="not-the-token-at-all") as stranger,
        pytest.raises(
            AuthError, match=r"token refused .*HTTP 401.*sipelangi-net login http://127\.0\.0\.1:"
        ) as caught,
    ):
        stranger.tickets()
    assert caught.value.exit_code == 6


def test_no_token_is_refused_before_any_request(server: Server) -> None:
    with pytest.raises(SecretsError, match="SIPELANGI_TOKEN"):
        HttpStore(server.url, token=None)


def test_a_stopped_server_is_a_store_error_naming_the_url(tmp_path: Path) -> None:
    with running_server(tmp_path / "srv") as srv, HttpStore(srv.url, token=srv.tokens["helpdesk"]) as store:
        ticket = store.create(REQUEST, helpdesk="Helpdesk")
        stop(srv.proc)
        with pytest.raises(StoreError, match=rf"cannot reach SiPelangi at {srv.url}/api/v1"):
            store.get(ticket.id)
    with closing(open_local(srv.db)) as local:
        assert local.get(ticket.id) == ticket


# --- the contract file -------------------------------------------------------------------
def test_openapi_file_is_what_the_server_describes() -> None:
    assert (ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8") == openapi_yaml(), (
        "docs/openapi.yaml is out of date: run .venv/bin/python scripts/gen_openapi.py"
    )


def test_every_path_but_health_and_login_requires_bearer_auth() -> None:
    spec = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
        "scheme": "bearer",
    }
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    others = [op for op in operations if "/leases" not in op[0] and "/faults" not in op[0]]
    assert len(others) == 21  # 9, /auth/me, 9 of /accounts, 2 of a ticket's documents
    assert len([op for op in operations if "/faults" in op[0]]) == 4  # list, report, read, record a step
    assert len([op for op in operations if "/leases" in op[0]]) == 4  # acquire, list, renew, release
    for path, method, op in operations:
        assert path.startswith("/api/v1/")
        if path in ("/api/v1/health", "/api/v1/auth/token"):
            assert "security" not in op
        else:
            assert op.get("security") == [{"bearerAuth": []}], f"{method.upper()} {path}"
            assert "401" in op["responses"]


# --- the server's own guards (in process) ---------------------------------------------------
class _BrokenStore:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def get(self, ticket_id: str) -> Ticket:
        raise self.exc

    def close(self) -> None:
        pass


def _get_in_process(exc: Exception, path: str) -> httpx.Response:
    token = "t" * 32
    app = create_app(lambda: _BrokenStore(exc), token=token)  # type: ignore[arg-type,return-value]

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path, headers={"Authorization": f"Bearer {token}"})

    return asyncio.run(call())


def test_internal_errors_never_reach_the_response(caplog: pytest.LogCaptureFixture) -> None:
    answer = _get_in_process(RuntimeError("/srv/secret/path exploded"), "/api/v1/tickets/SPL-2026-00001")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal server error (details are in the server log)",
        "code": "internal",
    }
    assert "exploded" in caplog.text


def test_store_errors_are_503_without_details() -> None:
    answer = _get_in_process(
        StoreError("/srv/tickets.db: database is locked"), "/api/v1/tickets/SPL-2026-00001"
    )
    assert answer.status_code == 503
    assert "/srv" not in answer.text
    assert answer.json()["code"] == "unavailable"


# --- serve and its token --------------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.10.5", "::", "sipelangi.example"])
def test_serve_refuses_a_non_loopback_host(tmp_path: Path, host: str) -> None:
    with pytest.raises(ConfigError, match="not a loopback address"):
        serve(tmp_path / "t.db", host, 0, "t" * 32)
    assert not (tmp_path / "t.db").exists()


def test_serve_refuses_a_short_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="too short"):
        serve(tmp_path / "t.db", "127.0.0.1", 0, "short")


def test_token_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("s3cr3t-token-value-long-enough\n", encoding="utf-8")
    path.chmod(0o640)
    with pytest.raises(SecretsError, match="chmod 600"):
        read_token(path)
    path.chmod(0o600)
    assert read_token(path) == "s3cr3t-token-value-long-enough"


def test_no_token_says_how_to_make_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SIPELANGI_TOKEN", raising=False)
    with pytest.raises(SecretsError, match=r"secrets\.token_urlsafe\(32\)"):
        read_token(None)
    with pytest.raises(SecretsError, match="not found"):
        read_token(tmp_path / "missing")
    monkeypatch.setenv("SIPELANGI_TOKEN", "from-the-environment-0123")
    assert read_token(None) == "from-the-environment-0123"
