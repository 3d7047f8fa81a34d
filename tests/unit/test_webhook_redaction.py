"""Webhook URLs with credentials or tokens are never shown in clear: API, JSON, logs, the audit event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ticket_data import SCHEDULE_AND_CLOSING, only, valid

from sipelangi_net import logs
from sipelangi_net.logs import REDACTED, scrub
from sipelangi_net.redact import redact_url, url_secrets
from sipelangi_net.server.app import create_app
from sipelangi_net.tickets.models import Move, Request
from sipelangi_net.tickets.notify import WebhookTransport, deliver_due
from sipelangi_net.tickets.sqlite import SqliteStore

HOOK = (
    "https://hookuser:hookpass-2026@hooks.example.net/services/T0AAA1B2C/B0BBB2D3E/XyZsecretTok3nAbC"
    "?token=qs-token-2026&channel=ops"
)
HOOK_SECRETS = ("hookuser", "hookpass-2026", "T0AAA1B2C", "B0BBB2D3E", "XyZsecretTok3nAbC", "qs-token-2026")
PIC = "budi@dinkes.pangkalpinangkota.go.id"
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
STEPS = (
    Move(step=3, actor="Kepala Dinas", outcome="approve"),
    Move(step=4, actor="Tim Kerja"),
    Move(step=5, actor="Tim Kerja"),
    Move(step=6, actor="Helpdesk", outputs={"schedule": "2 Desember 2026 pukul 09.00 WIB"}),
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "_known", set())
    monkeypatch.delenv("SIPELANGI_WEBHOOK_URL", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    st = SqliteStore(tmp_path / "tickets.db", webhook_url=HOOK)
    ticket = st.create(REQUEST, helpdesk="Helpdesk Rina")
    for move in STEPS:
        st.apply(ticket.id, valid(move, ticket.id))
    try:
        yield st
    finally:
        st.close()


def shows_none(text: str) -> bool:
    return not [s for s in HOOK_SECRETS if s in text]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            HOOK,
            f"https://{REDACTED}@hooks.example.net/services/{REDACTED}/{REDACTED}/{REDACTED}"
            f"?token={REDACTED}&channel={REDACTED}",
        ),
        (
            "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
            f"https://api.telegram.org/{REDACTED}/sendMessage",
        ),
        (
            "https://discord.com/api/webhooks/112233445566/abcDEF-ghiJKL_mno",
            f"https://discord.com/api/webhooks/{REDACTED}/{REDACTED}",
        ),
        ("http://127.0.0.1:8080/hooks/sipelangi", f"http://127.0.0.1:8080/hooks/{REDACTED}"),
        ("https://chat.example.go.id/api/notify", "https://chat.example.go.id/api/notify"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url_keeps_scheme_host_and_plain_words(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_url_secrets_are_the_parts_worth_registering() -> None:
    assert set(url_secrets(HOOK)) >= set(HOOK_SECRETS)
    assert "services" not in url_secrets(HOOK) and "sipelangi" not in url_secrets("http://h/hooks/sipelangi")


def test_the_api_and_json_never_show_the_webhook_url_but_the_outbox_keeps_it(store: SqliteStore) -> None:
    [mail, hook] = only(store.outbox())
    assert (mail.channel, mail.recipient) == ("email", PIC)
    assert (hook.channel, hook.recipient) == ("webhook", HOOK)  # usable in the process: kept as is
    assert store.conn.execute(
        "SELECT DISTINCT recipient FROM notifications WHERE channel = 'webhook'"
    ).fetchall() == [(HOOK,)]
    assert hook.model_dump(mode="json")["recipient"] == redact_url(HOOK)
    assert shows_none(hook.model_dump_json()) and mail.model_dump()["recipient"] == PIC

    token = "t" * 32
    app = create_app(lambda: SqliteStore(store.path, webhook_url=HOOK), token=token)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"})

    answer = asyncio.run(call())
    assert answer.status_code == 200
    assert shows_none(answer.text)
    shown = [n["recipient"] for n in answer.json() if n["kind"] in SCHEDULE_AND_CLOSING]
    assert shown == [PIC, redact_url(HOOK)]


def test_a_failed_delivery_logs_and_records_no_part_of_the_url(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")

    transport = WebhookTransport(url=HOOK, transport=httpx.MockTransport(refuse))
    report = deliver_due(store, {"webhook": transport})
    assert report.failed == 2  # the Kepala Dinas's message (step 2) and the schedule (step 6)
    [hook] = [n for n in only(store.outbox()) if n.channel == "webhook"]
    assert hook.last_error and shows_none(hook.last_error)
    assert shows_none(json.dumps(report.errors)) and shows_none(caplog.text)
    assert shows_none(scrub(f"posting to {HOOK} failed"))  # registered by the transport
