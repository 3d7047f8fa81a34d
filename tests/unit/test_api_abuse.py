"""The ticket API under abuse, against the real ``sipelangi-net serve``: bodies, JSON, path and query values.

Each test says what a hostile client sends and checks the answer, that
nothing was stored, and that the server stays small and answers everyone.
"""

from __future__ import annotations

import json
import select
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from api_server import Server, running_server
from ticket_data import raw_request

from sipelangi_net.server.guard import MAX_BODY, MAX_DEPTH, json_depth, json_problem
from sipelangi_net.server.store import SKIPPED_HEADER, tickets_response
from sipelangi_net.tickets.models import Event, Request
from sipelangi_net.tickets.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(120)

JSON = {"Content-Type": "application/json"}
REQUEST: dict[str, Any] = raw_request()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("abuse")) as srv:
        yield srv


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.tokens['helpdesk']}"}  # opens tickets
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30) as client:
        yield client


def _count(server: Server, table: str) -> int:
    with closing(sqlite3.connect(server.db)) as conn:
        n: int = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return n


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _stream(server: Server, *, total: int, content_length: int | None) -> tuple[bytes, int]:
    """POST a chunked body of up to ``total`` bytes on a raw socket; (the answer's start, bytes sent)."""
    url = urlsplit(server.url)
    assert url.port is not None
    head = (
        "POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
        + (f"Content-Length: {content_length}\r\n" if content_length is not None else "")
        + "\r\n"
    )
    chunk = b" " * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", url.port), timeout=20) as sock:
        sock.sendall(head.encode())
        try:
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(frame)
                sent += len(chunk)
        except OSError:  # the server answered and closed while we were still sending
            pass
        try:
            return sock.recv(4096), sent
        except OSError as exc:
            return f"recv failed: {exc}".encode(), sent


# --- the body limit, counted on the stream ---------------------------------------------------
@pytest.mark.parametrize("content_length", [None, 10], ids=["chunked", "chunked-with-small-content-length"])
def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(
    server: Server, content_length: int | None
) -> None:
    before = _rss_kib(server.proc.pid)
    tickets = _count(server, "tickets")

    answer, sent = _stream(server, total=200 * 1024 * 1024, content_length=content_length)

    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"connection: close" in answer.lower()
    assert sent < 64 * 1024 * 1024, f"the server read {sent} bytes before refusing"
    assert _rss_kib(server.proc.pid) - before < 32 * 1024, "the server's memory grew with the body"
    assert _count(server, "tickets") == tickets
    assert httpx.get(f"{server.url}/api/v1/health", timeout=5).status_code == 200


def test_a_large_declared_content_length_is_refused_before_reading(api: httpx.Client) -> None:
    answer = api.post("/tickets", content=b"{" + b" " * (MAX_BODY + 10) + b"}")
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"


def test_a_body_at_the_limit_still_reaches_validation(api: httpx.Client) -> None:
    body = json.dumps({"request": REQUEST, "helpdesk": "Helpdesk"}).encode()
    padded = body[:-1] + b" " * (MAX_BODY - len(body)) + b"}"
    assert len(padded) == MAX_BODY
    answer = api.post("/tickets", content=padded, headers={"content-type": "application/json"})
    assert answer.status_code == 201, answer.text


# --- JSON: no NaN/Infinity, bounded nesting, nothing stored ----------------------------------
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(server: Server, api: httpx.Client, constant: str) -> None:
    ticket = api.post("/tickets", json={"request": REQUEST, "helpdesk": "Helpdesk"}).json()
    events = _count(server, "events")
    body = '{"step": 3, "actor": "Kadis", "outcome": "approve", "outputs": {"x": ' + constant + "}}"

    answer = api.post(f"/tickets/{ticket['id']}/events", content=body.encode(), headers=JSON)

    assert answer.status_code == 422
    assert answer.json() == {
        "error": f"the body is not valid JSON: {constant} is not a JSON number",
        "code": "invalid",
    }
    assert _count(server, "events") == events


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000])
def test_deep_nesting_is_refused_and_the_listing_keeps_working(
    server: Server, api: httpx.Client, depth: int
) -> None:
    ticket = api.post("/tickets", json={"request": REQUEST, "helpdesk": "Helpdesk"}).json()
    events = _count(server, "events")
    deep = '{"a":' * (depth - 1) + "1" + "}" * (depth - 1)  # the body itself is the first level
    body = '{"step": 3, "actor": "Kadis", "outcome": "approve", "outputs": ' + deep + "}"

    try:
        answer = api.post(f"/tickets/{ticket['id']}/events", content=body.encode(), headers=JSON)
    except httpx.TransportError:  # past the size limit the server answers 413 and closes mid-send
        assert len(body) > MAX_BODY
    else:
        assert answer.status_code in (413, 422), answer.text
        if answer.status_code == 422:
            assert answer.json()["error"] == f"the body is nested more than {MAX_DEPTH} levels deep"
    assert _count(server, "events") == events
    assert api.get("/tickets").status_code == 200


def kadis(server: Server) -> dict[str, str]:
    """The Kepala Dinas's bearer header: step 3 is theirs (the helpdesk's is refused with 403 first)."""
    return {"Authorization": f"Bearer {server.tokens['kepala_dinas']}"}


def test_nesting_within_the_bound_passes_the_guard(api: httpx.Client, server: Server) -> None:
    """A body nested exactly as deep as allowed reaches the step's schema (which has no such field)."""
    ticket = api.post("/tickets", json={"request": REQUEST, "helpdesk": "Helpdesk"}).json()
    deep: Any = 1
    for _ in range(MAX_DEPTH - 2):  # the body and outputs are the first two levels
        deep = {"a": deep}
    move = {"step": 3, "actor": "Kadis", "outcome": "approve", "outputs": deep}
    answer = api.post(f"/tickets/{ticket['id']}/events", json=move, headers=kadis(server))
    assert answer.status_code == 422, answer.text
    assert "outputs.a: Extra inputs are not permitted" in answer.json()["error"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xff\xfe{}", "the body is not UTF-8 text (byte 1)"),
        (b'{"a": ', "the body is not valid JSON: Expecting value (line 1 column 7)"),
        (b"1" * 5000, "the body is not valid JSON: a number has too many digits"),
        (b'{"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', None),
        (b'{"s": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', None),
    ],
)
def test_json_problem(body: bytes, problem: str | None) -> None:
    assert json_problem(body) == problem


def test_json_depth() -> None:
    assert json_depth({"a": [1, {"b": "[[[{{{"}]}) == 3
    assert json_depth(1) == 0
    assert json_depth(_deep(10_000), stop=32) == 33


@pytest.mark.parametrize(
    "body",
    [b'"\\' * (MAX_BODY // 2), b'\\"' * (MAX_BODY // 2), b'"' * MAX_BODY, b"[" * MAX_BODY, b'{"a":' * 50_000],
    ids=["quote-backslash", "backslash-quote", "quotes", "brackets", "objects"],
)
def test_json_checks_take_linear_time(body: bytes) -> None:
    started = time.monotonic()
    assert json_problem(body) is not None
    assert time.monotonic() - started < 1.0


# --- the inventory, as on the command line ---------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("site", "mars", "request: site: unknown site 'mars'"),
        ("applications", ["simpeg", "tiktok"], "request: applications[1]: unknown application 'tiktok'"),
        ("applications", ["simpeg", "simpeg"], "request: applications[1]: 'simpeg' is listed twice"),
    ],
)
def test_unknown_sites_and_applications_are_refused(
    server: Server, api: httpx.Client, field: str, value: Any, message: str
) -> None:
    tickets = _count(server, "tickets")
    answer = api.post("/tickets", json={"request": {**REQUEST, field: value}, "helpdesk": "Helpdesk"})
    assert answer.status_code == 422
    assert answer.json()["error"].startswith(message)
    assert _count(server, "tickets") == tickets


def test_serve_refuses_to_start_on_a_broken_inventory(tmp_path: Path) -> None:
    from sipelangi_net.errors import InventoryError
    from sipelangi_net.server.serve import serve

    with pytest.raises(InventoryError, match="inventory directory not found"):
        serve(tmp_path / "t.db", "127.0.0.1", 0, "t" * 32, inventory=tmp_path / "nowhere")


# --- path and query values -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/notifications/{10**30}/delivery", 422),
        (f"/notifications/{2**63}/delivery", 422),
        ("/notifications/0/delivery", 422),
        ("/notifications/-1/delivery", 422),
        (f"/notifications/{2**63 - 1}/delivery", 404),
    ],
)
def test_notification_ids_are_bounded_to_int64(api: httpx.Client, path: str, status: int) -> None:
    answer = api.post(path, json={"ok": True})
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] in ("invalid", "not_found")


@pytest.mark.parametrize(
    "query",
    [
        {"until": "0.5"},
        {"since": "1700000000"},
        {"since": "2026-11-28T09:30:00"},  # no zone
        {"until": "2026-11-28"},
        {"status": "bogus"},
        {"updated_since": "0001-01-01T00:00:12+20:01"},  # before year 1 in UTC (found by the fuzzer)
        {"until": "9999-12-31T23:59:59-01:00"},  # after year 9999 in UTC
    ],
)
def test_query_values_the_contract_forbids_are_refused(api: httpx.Client, query: dict[str, str]) -> None:
    answer = api.get("/tickets", params=query)
    assert answer.status_code == 422, answer.text
    assert f"query parameter {next(iter(query))}" in answer.json()["error"]


def test_zoned_query_times_are_accepted(api: httpx.Client) -> None:
    for value in ("2026-11-28T09:30:00+07:00", "2026-11-28T02:30:00Z", "2026-11-28T02:30:00.123456z"):
        assert api.get("/tickets", params={"since": value, "status": "forwarded"}).status_code == 200


@pytest.mark.parametrize("ticket_id", ["abc", "SPL-2026-1", "SPL-2026-000001"])
def test_ticket_ids_must_look_like_ticket_ids(api: httpx.Client, ticket_id: str) -> None:
    assert api.get(f"/tickets/{ticket_id}").status_code == 422
    assert api.get("/tickets/SPL-2026-99999").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/tickets", "GET, POST"),
        ("DELETE", "/tickets", "GET, POST"),
        ("PUT", "/tickets/SPL-2026-00001", "GET"),
        ("GET", "/notifications/retry", "POST"),
        ("DELETE", "/notifications", "GET"),
    ],
)
def test_405_names_every_method_of_the_path(api: httpx.Client, method: str, path: str, allowed: str) -> None:
    answer = api.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    assert answer.json()["code"] == "method_not_allowed"


# --- stored values that cannot be served ---------------------------------------------------------
def _deep(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_a_broken_stored_ticket_never_makes_the_listing_fail(server: Server, api: httpx.Client) -> None:
    good = api.post("/tickets", json={"request": REQUEST, "helpdesk": "Helpdesk"}).json()["id"]
    broken = api.post("/tickets", json={"request": REQUEST, "helpdesk": "Helpdesk"}).json()["id"]
    with closing(sqlite3.connect(server.db)) as conn, conn:  # as an old server, or a hand edit, stored it
        conn.execute(
            "INSERT INTO events (ticket_id, seq, step, outcome, actor, role, started_at, ended_at, note,"
            " outputs, prev_hash, hash) SELECT ticket_id, seq + 1, 3, 'approve', actor, role, started_at,"
            " ended_at, note, ?, hash, hash FROM events WHERE ticket_id = ? AND seq = 2",
            (json.dumps(_deep(900)), broken),
        )

    listed = api.get("/tickets")

    assert listed.status_code == 200
    ids = [t["id"] for t in listed.json()["items"]]
    assert good in ids
    assert broken not in ids
    assert api.get(f"/tickets/{good}").status_code == 200
    one = api.get(f"/tickets/{broken}")
    assert one.status_code == 500
    assert one.json() == {
        "error": f"ticket {broken}: its stored record cannot be served (see the server log)",
        "code": "unreadable",
    }


def test_the_listing_names_the_tickets_it_left_out(tmp_path: Path) -> None:
    with closing(SqliteStore(tmp_path / "t.db")) as store:
        ok = store.create(Request.model_validate(REQUEST), helpdesk="H")
    bad = ok.model_copy(
        update={
            "id": "SPL-2026-09999",
            "events": (
                *ok.events,
                Event.model_validate({**ok.events[-1].model_dump(), "outputs": _deep(900)}),
            ),
        }
    )
    answer = tickets_response([ok, bad])
    assert answer.headers[SKIPPED_HEADER] == "SPL-2026-09999"
    assert [t["id"] for t in json.loads(answer.body)] == [ok.id]
    assert SKIPPED_HEADER not in tickets_response([ok]).headers


def test_the_open_health_path_has_the_body_limit_too(server: Server) -> None:
    answer = httpx.post(f"{server.url}/api/v1/health", content=b" " * (MAX_BODY + 1))
    assert answer.status_code == 413
    assert httpx.get(f"{server.url}/api/v1/health").json() == {"status": "ok"}


def test_a_fresh_server_answers_after_abuse(tmp_path: Path) -> None:
    with running_server(tmp_path / "srv") as srv:
        answer, _ = _stream(srv, total=8 * 1024 * 1024, content_length=None)
        assert answer.startswith(b"HTTP/1.1 413 ")
        headers = {"Authorization": f"Bearer {srv.token}"}
        assert httpx.get(f"{srv.url}/api/v1/tickets", headers=headers, timeout=5).json()["items"] == []


def test_an_undeclared_query_parameter_is_refused_not_ignored(api: httpx.Client) -> None:
    answer = api.get("/tickets", params={"stauts": "closed"})
    assert answer.status_code == 422
    assert (
        answer.json()["error"] == "query parameter 'stauts': not known here"
        " (parameters: cursor, limit, opd, since, site, status, until, updated_since)"
    )
    assert api.get("/notifications", params={"": "x"}).status_code == 422


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/tickets", {"request": {**REQUEST, "users": "40"}, "helpdesk": "Helpdesk"}),
        ("/tickets", {"request": {**REQUEST, "users": True}, "helpdesk": "Helpdesk"}),
        ("/tickets", {"request": {**REQUEST, "users": 40.5}, "helpdesk": "Helpdesk"}),
        ("/tickets", {"request": {**REQUEST, "submitted_at": 1700000000}, "helpdesk": "Helpdesk"}),
        ("/tickets", {"request": {**REQUEST, "submitted_at": "0001-01-01T00:00:00+23:59"}, "helpdesk": "H"}),
        ("/tickets", {"request": {**REQUEST, "letter": {"number": "1", "date": 20261120}}, "helpdesk": "H"}),
        ("/notifications/1/delivery", {"ok": "true"}),
        ("/notifications/1/delivery", {"ok": 1}),
    ],
)
def test_json_types_are_taken_as_the_contract_declares(
    server: Server, api: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    tickets = _count(server, "tickets")
    answer = api.post(path, json=body)
    assert answer.status_code == 422, answer.text
    assert _count(server, "tickets") == tickets


def test_a_whole_number_written_as_a_float_is_a_number(api: httpx.Client, server: Server) -> None:
    answer = api.post("/tickets", json={"request": {**REQUEST, "users": 40.0}, "helpdesk": "Helpdesk"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["request"]["users"] == 40
    ticket = answer.json()["id"]
    for step in ("3", True):
        refused = api.post(
            f"/tickets/{ticket}/events",
            json={"step": step, "actor": "Kadis", "outcome": "approve"},
            headers=kadis(server),
        )
        assert refused.status_code == 422, refused.text
    move = {"step": 3.0, "actor": "Kadis", "outcome": "approve", "started_at": 1700000000}
    assert api.post(f"/tickets/{ticket}/events", json=move, headers=kadis(server)).status_code == 422
    del move["started_at"]
    assert api.post(f"/tickets/{ticket}/events", json=move, headers=kadis(server)).status_code == 201


def test_the_http_store_reports_tickets_the_server_left_out(caplog: pytest.LogCaptureFixture) -> None:
    from sipelangi_net.tickets.http import HttpStore

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"items": [], "next": None, "limit": 200}, headers={SKIPPED_HEADER: "SPL-2026-00007"}
        )

    with HttpStore("http://127.0.0.1:9", token="t" * 32, transport=httpx.MockTransport(answer)) as store:
        assert store.tickets() == []
    assert "left out tickets it cannot serve: SPL-2026-00007" in caplog.text


@pytest.mark.parametrize(
    ("field", "value"),
    [("opd", "ab\u00a0"), ("opd", " ab "), ("opd", "x" * 149 + "  ")],
    ids=["nbsp-padded", "blank-padded", "too-long-before-stripping"],
)
def test_text_limits_hold_for_what_is_stored(
    server: Server, api: httpx.Client, field: str, value: str
) -> None:
    """Found by the fuzzer: "ab\\u00a0" passed min_length, was stored as "ab" and never read back."""
    tickets = _count(server, "tickets")
    answer = api.post("/tickets", json={"request": {**REQUEST, field: value}, "helpdesk": "Helpdesk"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"].startswith(f"request.{field}: String should have at")
    assert _count(server, "tickets") == tickets
    assert api.get("/tickets").status_code == 200


def test_surrounding_blanks_are_stripped_within_the_limits(api: httpx.Client) -> None:
    answer = api.post(
        "/tickets", json={"request": {**REQUEST, "opd": "  Dinas Kesehatan "}, "helpdesk": " H "}
    )
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    assert ticket["request"]["opd"] == "Dinas Kesehatan"
    assert api.get(f"/tickets/{ticket['id']}").json() == ticket
