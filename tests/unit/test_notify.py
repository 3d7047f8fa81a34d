"""Notifications to the requester's PIC: a real SMTP server and a real webhook on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from ticket_data import only, valid

from sipelangi_net import logs
from sipelangi_net.errors import ConfigError
from sipelangi_net.logs import REDACTED, scrub
from sipelangi_net.redact import redact_url
from sipelangi_net.tickets.models import Move, Notification, Request, Ticket
from sipelangi_net.tickets.notify import (
    DeliveryError,
    DeliveryReport,
    SmtpTransport,
    Transport,
    WebhookTransport,
    deliver_due,
    transports_from_env,
)
from sipelangi_net.tickets.sqlite import BACKOFF_S, MAX_ATTEMPTS, SqliteStore

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
PIC = "budi@dinkes.pangkalpinangkota.go.id"
SCHEDULE = "2 Desember 2026 pukul 09.00 WIB"
PASSWORD = "Smtp#Rahasia-2026"
REQUEST = Request.model_validate(
    {
        "opd": "Dinas Kesehatan",
        "site": "dinkes",
        "pic": {"name": "Budi Santoso", "phone": "+62 812 7100 1234", "email": PIC},
        "users": 40,
        "applications": ["simpeg", "eoffice"],
        "letter": {"number": "005/123/DINKES/2026", "date": "2026-11-20"},
    }
)
MOVES = {
    3: Move(step=3, actor="Kepala Dinas", outcome="approve"),
    4: Move(step=4, actor="Tim Kerja"),
    5: Move(step=5, actor="Tim Kerja"),
    6: Move(step=6, actor="Helpdesk", outputs={"schedule": SCHEDULE}),
    7: Move(step=7, actor="Tim Kerja"),
    8: Move(step=8, actor="Tim Kerja"),
    9: Move(step=9, actor="Tim Kerja"),
    10: Move(step=10, actor="Tim Kerja"),
    11: Move(step=11, actor="Helpdesk"),
}


# --- fixtures ----------------------------------------------------------------
@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """No registered secrets leak between tests; no proxy or store settings from the caller's shell."""
    monkeypatch.setattr(logs, "_known", set())
    for name in ("SIPELANGI_WEBHOOK_URL", *PROXY_VARS, *(v.lower() for v in PROXY_VARS)):
        monkeypatch.delenv(name, raising=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    rcpt_tos: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.rcpt_tos.append(list(envelope.rcpt_tos))
        return "250 OK"


def _refuse(*_args: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


StartSmtp = Callable[..., Mailbox]


@pytest.fixture
def start_smtp() -> Iterator[StartSmtp]:
    """Start a real SMTP server (aiosmtpd) on 127.0.0.1; every one started is stopped afterwards."""
    controllers: list[Controller] = []

    def start(port: int | None = None, *, refuse_auth: bool = False) -> Mailbox:
        box = Mailbox(port or free_port())
        auth: dict[str, Any] = {"authenticator": _refuse, "auth_require_tls": False} if refuse_auth else {}
        controller = Controller(box, hostname="127.0.0.1", port=box.port, **auth)
        controller.start()
        controllers.append(controller)
        return box

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp(start_smtp: StartSmtp) -> Mailbox:
    return start_smtp()


@dataclass
class Hook:
    url: str = ""
    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)
    authorization: list[str | None] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    """A real webhook receiver (http.server) on 127.0.0.1, collecting POSTed JSON bodies."""
    received = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.bodies.append(json.loads(self.rfile.read(length)))
            received.authorization.append(self.headers.get("Authorization"))
            self.send_response(received.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/sipelangi"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "tickets.db", webhook_url="")
    yield s
    s.close()


# --- helpers -----------------------------------------------------------------
def drive(store: SqliteStore, ticket_id: str, *steps: int) -> Ticket:
    ticket = store.get(ticket_id)
    for step in steps:
        ticket = store.apply(ticket_id, valid(MOVES[step], ticket_id))
    return ticket


def open_scheduled(store: SqliteStore) -> Ticket:
    ticket = store.create(REQUEST, helpdesk="Helpdesk Rina")
    return drive(store, ticket.id, 3, 4, 5, 6)


def notifications(store: SqliteStore, *kinds: str) -> list[Notification]:
    """Every row of the outbox of ``kinds`` (default: the PIC's schedule and closing), sent or not
    (the store's outbox() leaves sent ones out)."""
    rows = store.conn.execute(f"SELECT {SqliteStore._NOTIFICATION_COLUMNS} FROM notifications ORDER BY id")
    return only((SqliteStore._notification(r) for r in rows), kinds or ("schedule", "closing"))


def email(port: int, **kwargs: Any) -> dict[str, Transport]:
    return {"email": SmtpTransport(host="127.0.0.1", port=port, timeout=5, **kwargs)}


def later(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


NOTHING = DeliveryReport(sent=0, failed=0, skipped=0, errors=())


# --- e-mail ------------------------------------------------------------------
def test_schedule_and_closing_mails_reach_the_pic_and_close_the_ticket(
    store: SqliteStore, smtp: Mailbox
) -> None:
    transports = email(smtp.port)
    ticket = open_scheduled(store)

    assert deliver_due(store, transports) == DeliveryReport(sent=1, failed=0, skipped=0, errors=())
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert smtp.rcpt_tos == [[PIC]]
    assert msg["To"].addresses[0].addr_spec == PIC
    assert msg["From"].addresses[0].display_name == "Helpdesk Diskominfo Kota Pangkalpinang"
    assert ticket.id in msg["Subject"]
    assert msg["X-SiPelangi-Ticket"] == ticket.id
    assert msg["Message-ID"].startswith(f"<{ticket.id}.schedule.")
    assert msg["Date"]
    text = msg.get_content()
    assert SCHEDULE in text
    assert "Dinas Kesehatan" in text
    [schedule] = notifications(store)
    assert (schedule.kind, schedule.status, schedule.attempts) == ("schedule", "sent", 1)
    assert schedule.sent_at is not None

    ticket = drive(store, ticket.id, 7, 8, 9, 10, 11)
    assert ticket.status == "closed"
    assert deliver_due(store, transports).sent == 1
    assert len(smtp.messages) == 2
    closing = smtp.messages[1]
    assert ticket.id in closing["Subject"]
    assert "ditutup" in closing.get_content()
    ticket = store.get(ticket.id)
    assert ticket.status == "notified"
    last = ticket.events[-1]
    assert (last.step, last.actor, last.outcome) == (12, "SiPelangi", "done")
    assert last.outputs == {"channel": "email", "recipient": PIC}

    events = len(ticket.events)
    assert deliver_due(store, transports) == NOTHING
    assert len(smtp.messages) == 2
    assert len(store.get(ticket.id).events) == events


def test_smtp_down_never_blocks_the_ticket_and_the_mail_goes_out_later(
    store: SqliteStore, start_smtp: StartSmtp
) -> None:
    port = free_port()  # nothing listens here yet
    transports = email(port)
    ticket = open_scheduled(store)
    assert ticket.status == "scheduled"
    assert store.get(ticket.id).events[-1].step == 6

    report = deliver_due(store, transports)
    assert (report.sent, report.failed, report.skipped) == (0, 1, 0)
    assert "ConnectionRefusedError" in report.errors[0]
    assert ticket.id in report.errors[0]
    [n] = notifications(store)
    assert (n.status, n.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in n.last_error
    assert "\n" not in n.last_error
    assert n.next_attempt_at > dt.datetime.now(dt.UTC)
    assert deliver_due(store, transports) == NOTHING  # not due again before its backoff

    box = start_smtp(port)
    assert deliver_due(store, transports, now=later(BACKOFF_S + 1)).sent == 1
    assert len(box.messages) == 1
    [n] = notifications(store)
    assert (n.status, n.attempts, n.last_error) == ("sent", 2, "")


def test_after_max_attempts_the_notification_fails_until_retried(
    store: SqliteStore, start_smtp: StartSmtp
) -> None:
    port = free_port()
    transports = email(port)
    ticket = open_scheduled(store)
    for _ in range(MAX_ATTEMPTS):
        assert deliver_due(store, transports, now=later(2 * 3600)).failed == 1
    [n] = notifications(store)
    assert (n.status, n.attempts) == ("failed", MAX_ATTEMPTS)
    assert deliver_due(store, transports, now=later(2 * 3600)) == NOTHING
    assert [x.id for x in only(store.outbox(ticket_id=ticket.id))] == [n.id]  # still in the outbox

    assert store.retry_failed() == 1
    [n] = notifications(store)
    assert n.status == "pending"
    box = start_smtp(port)
    assert deliver_due(store, transports, now=later(1)).sent == 1
    assert len(box.messages) == 1
    assert store.get(ticket.id).status == "scheduled"


def test_header_injection_is_refused_and_recorded(store: SqliteStore, smtp: Mailbox) -> None:
    transport = SmtpTransport(host="127.0.0.1", port=smtp.port, timeout=5)
    open_scheduled(store)
    [n] = notifications(store)
    for bad in (
        n.model_copy(update={"recipient": f"{PIC}\r\nBcc: x@y"}),
        n.model_copy(update={"subject": "Jadwal\nBcc: x@y"}),
        n.model_copy(update={"recipient": f"{PIC}, x@y"}),
    ):
        with pytest.raises(DeliveryError, match="not sent"):
            transport.send(bad)

    store.conn.execute("UPDATE notifications SET recipient = ?", (f"{PIC}\r\nBcc: x@y",))
    report = deliver_due(store, {"email": transport})
    assert (report.sent, report.failed) == (0, 1)
    [n] = notifications(store)
    assert (n.status, n.attempts) == ("pending", 1)
    assert "line break" in n.last_error
    assert smtp.messages == []


def test_smtp_password_never_reaches_the_outbox(store: SqliteStore, start_smtp: StartSmtp) -> None:
    box = start_smtp(refuse_auth=True)
    transports = email(box.port, username="helpdesk", password=PASSWORD)
    open_scheduled(store)
    assert scrub(f"pw {PASSWORD}") == f"pw {REDACTED}"  # registered by the constructor

    assert deliver_due(store, transports).failed == 1
    [n] = notifications(store)
    assert "SMTPAuthenticationError" in n.last_error
    assert PASSWORD not in n.last_error
    assert box.messages == []

    class Leaky:
        def send(self, n: Notification) -> None:
            raise RuntimeError(f"login as helpdesk with {PASSWORD} refused")

    report = deliver_due(store, {"email": Leaky()}, now=later(BACKOFF_S + 1))
    [n] = notifications(store)
    assert PASSWORD not in n.last_error
    assert REDACTED in n.last_error
    assert PASSWORD not in " ".join(report.errors)


# --- webhook -----------------------------------------------------------------
def test_webhook_and_email_are_both_delivered(tmp_path: Path, smtp: Mailbox, hook: Hook) -> None:
    store = SqliteStore(tmp_path / "tickets.db", webhook_url=hook.url)
    transports: dict[str, Transport] = {
        **email(smtp.port),
        "webhook": WebhookTransport(url=hook.url, token="hook-token-2026"),
    }
    try:
        ticket = open_scheduled(store)
        assert [n.channel for n in only(store.outbox())] == ["email", "webhook"]
        # the schedule by both; the Kepala Dinas's message of step 2 by webhook (no e-mail address set)
        assert deliver_due(store, transports).sent == 3
        assert len(smtp.messages) == 1
        assert [b["kind"] for b in hook.bodies] == ["disposition", "schedule"]
        body = hook.bodies[1]
        assert body["ticket_id"] == ticket.id
        assert body["kind"] == "schedule"
        assert body["recipient"] == redact_url(hook.url)  # the URL's secret parts never travel
        assert ticket.id in body["subject"]
        assert SCHEDULE in body["body"]
        assert hook.authorization == ["Bearer hook-token-2026"] * 2

        hook.status = 500
        drive(store, ticket.id, 7, 8, 9, 10, 11)
        report = deliver_due(store, transports)
        assert (report.sent, report.failed) == (1, 2)  # the report (step 10) and the closing by webhook
        assert all("HTTP 500" in e for e in report.errors)
        webhook = next(n for n in notifications(store) if n.kind == "closing" and n.channel == "webhook")
        assert (webhook.status, webhook.attempts) == ("pending", 1)
        assert "HTTP 500" in webhook.last_error
        assert store.get(ticket.id).status == "notified"  # the e-mail made it

        hook.status = 204
        assert deliver_due(store, transports, now=later(BACKOFF_S + 1)).sent == 2
        assert [b["kind"] for b in hook.bodies[2:]] == ["report", "closing", "report", "closing"]
        steps = [e.step for e in store.get(ticket.id).events]
        assert steps.count(12) == 1
    finally:
        store.close()


def test_one_channel_down_does_not_stop_the_other(tmp_path: Path, hook: Hook) -> None:
    store = SqliteStore(tmp_path / "tickets.db", webhook_url=hook.url)
    transports: dict[str, Transport] = {**email(free_port()), "webhook": WebhookTransport(url=hook.url)}
    try:
        open_scheduled(store)
        report = deliver_due(store, transports)
        assert (report.sent, report.failed, report.skipped) == (2, 1, 0)  # webhook: disposition, schedule
        assert len(hook.bodies) == 2
        assert hook.authorization == [None, None]
        assert {n.channel: n.status for n in notifications(store)} == {"email": "pending", "webhook": "sent"}
    finally:
        store.close()


def test_a_channel_without_transport_is_skipped_and_left_pending(tmp_path: Path, smtp: Mailbox) -> None:
    store = SqliteStore(tmp_path / "tickets.db", webhook_url="https://hooks.example.invalid/sipelangi")
    try:
        open_scheduled(store)
        assert deliver_due(store, email(smtp.port)) == DeliveryReport(sent=1, failed=0, skipped=2, errors=())
        webhook = next(n for n in notifications(store) if n.channel == "webhook")
        assert (webhook.status, webhook.attempts) == ("pending", 0)
        assert deliver_due(store, {}).skipped == 2  # the schedule's and the step-2 message's webhooks
    finally:
        store.close()


def test_closing_notice_that_cannot_be_recorded_is_reported_not_raised(
    store: SqliteStore, smtp: Mailbox
) -> None:
    ticket = open_scheduled(store)
    deliver_due(store, email(smtp.port))
    # A closing notice for a ticket that is not closed (e.g. restored from an old backup).
    store.conn.execute(
        "UPDATE notifications SET kind = 'closing', status = 'pending' WHERE kind = 'schedule'"
    )
    report = deliver_due(store, email(smtp.port))
    assert report.sent == 1
    assert "step 12 not recorded" in report.errors[0]
    assert store.get(ticket.id).status == "scheduled"


# --- configuration -----------------------------------------------------------
def test_transports_from_env() -> None:
    assert transports_from_env({}) == {}
    found = transports_from_env(
        {
            "SIPELANGI_SMTP_HOST": "mail.pangkalpinangkota.go.id",
            "SIPELANGI_SMTP_PORT": "587",
            "SIPELANGI_SMTP_USER": "helpdesk",
            "SIPELANGI_SMTP_PASSWORD": PASSWORD,
            "SIPELANGI_SMTP_STARTTLS": "yes",
            "SIPELANGI_WEBHOOK_URL": "https://sipelangi.pangkalpinangkota.go.id/hooks/net",
            "SIPELANGI_WEBHOOK_TOKEN": "hook-token-2026",
        }
    )
    smtp, webhook = found["email"], found["webhook"]
    assert isinstance(smtp, SmtpTransport)
    assert (smtp.host, smtp.port, smtp.starttls, smtp.username) == (
        "mail.pangkalpinangkota.go.id",
        587,
        True,
        "helpdesk",
    )
    assert smtp.sender == "helpdesk@diskominfo.pangkalpinangkota.go.id"
    assert isinstance(webhook, WebhookTransport)
    assert scrub(f"{PASSWORD} hook-token-2026") == f"{REDACTED} {REDACTED}"

    only_mail = transports_from_env({"SIPELANGI_SMTP_HOST": "127.0.0.1"})
    assert list(only_mail) == ["email"]
    assert isinstance(only_mail["email"], SmtpTransport)
    assert (only_mail["email"].port, only_mail["email"].starttls) == (25, False)


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"SIPELANGI_SMTP_PORT": "smtp"}, "SIPELANGI_SMTP_PORT"),
        ({"SIPELANGI_SMTP_PORT": "70000"}, "SIPELANGI_SMTP_PORT"),
        ({"SIPELANGI_SMTP_STARTTLS": "maybe"}, "SIPELANGI_SMTP_STARTTLS"),
        ({"SIPELANGI_SMTP_USER": "helpdesk"}, "SIPELANGI_SMTP_PASSWORD"),
        ({"SIPELANGI_SMTP_FROM": "helpdesk"}, "sender"),
    ],
)
def test_bad_smtp_settings_are_config_errors(env: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        transports_from_env({"SIPELANGI_SMTP_HOST": "127.0.0.1", **env})


def test_bad_webhook_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="webhook URL"):
        transports_from_env({"SIPELANGI_WEBHOOK_URL": "ftp://example.invalid/x"})
