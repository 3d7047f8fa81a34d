"""CR/LF never reach a mail header or body: checked by parsing the built mail with the email package."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from pydantic import ValidationError
from ticket_data import request

from sipelangi_net.errors import DeliveryError
from sipelangi_net.tickets.messages import MESSAGES, closing_message, schedule_message
from sipelangi_net.tickets.models import Event, Notification, Request, Ticket
from sipelangi_net.tickets.notify import SmtpTransport
from sipelangi_net.tickets.sqlite import SqliteStore

# One-line values a request accepts that look like headers, encoded words or markup.
HOSTILE_OPD = "Dinas X Bcc: evil@x.id =?utf-8?q?=0D=0ABcc:_evil@x.id?= [/] %0d%0a"
# What a step-6 output might hold if it came from a hostile store: lines and headers.
HOSTILE_SCHEDULE = "besok\r\nBcc: evil@x.id\n\nTransfer dana ke rekening 123\x1b[31m\u2028Reply-To: x@y"
HEADERS = {
    "From", "To", "Subject", "Date", "Message-ID", "X-SiPelangi-Ticket", "Auto-Submitted",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
}  # fmt: skip


def _ticket(tmp_path: Path, opd: str) -> Ticket:
    st = SqliteStore(tmp_path / f"{len(opd)}.db")
    try:
        return st.create(request(opd=opd), helpdesk="Helpdesk Rina")
    finally:
        st.close()


def _notification(ticket: Ticket, subject: str, body: str) -> Notification:
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return Notification(
        id=1, ticket_id=ticket.id, kind="schedule", channel="email", recipient=ticket.request.pic.email,
        subject=subject, body=body, status="pending", attempts=0, created_at=at, next_attempt_at=at,
    )  # fmt: skip


def _parsed(n: Notification) -> tuple[dict[str, str], list[str]]:
    raw = SmtpTransport(host="127.0.0.1").message(n).as_bytes()
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    headers = {k: str(v) for k, v in mail.items()}
    assert len(headers) == len(mail.items()), "a header appears twice"
    body = mail.get_body()
    assert body is not None
    return headers, body.get_content().splitlines()


@pytest.mark.parametrize("build", ["schedule", "closing"])
def test_a_hostile_office_name_and_schedule_add_no_header_and_no_line(tmp_path: Path, build: str) -> None:
    plain, hostile = _ticket(tmp_path, "Dinas Kesehatan"), _ticket(tmp_path, HOSTILE_OPD)

    def message(t: Ticket, when: str) -> tuple[str, str]:
        return schedule_message(t, {"schedule": when}) if build == "schedule" else closing_message(t)

    headers, lines = _parsed(_notification(hostile, *message(hostile, HOSTILE_SCHEDULE)))
    _, plain_lines = _parsed(_notification(plain, *message(plain, "Senin")))
    assert set(headers) == HEADERS
    assert headers["To"] == hostile.request.pic.email and "evil" not in headers["To"]
    # shown as text: an encoded word in the name is not decoded into a line break by the reader
    assert "\r" not in headers["Subject"] and "\n" not in headers["Subject"]
    assert HOSTILE_OPD.replace("=?", "= ?") in headers["Subject"]
    assert len(lines) == len(plain_lines)  # the template's lines, no more
    assert not any(x.startswith(("Bcc:", "Reply-To:", "Transfer")) for x in lines)
    if build == "schedule":
        assert any("Jadwal pemasangan: besok\\r\\nBcc: evil@x.id" in x for x in lines)


@pytest.mark.parametrize(("step", "outcome"), [(2, "done"), (3, "defer"), (10, "done")])
def test_the_sop_messages_to_officials_and_the_deferral_add_no_header_and_no_line(
    tmp_path: Path, step: int, outcome: str
) -> None:
    """A stored event as a hostile store could hand it back: a note and a report number with lines."""
    message = MESSAGES[(step, outcome)]
    plain, hostile = _ticket(tmp_path, "Dinas Kesehatan"), _ticket(tmp_path, HOSTILE_OPD)

    def event(t: Ticket, text: str) -> Event:
        return t.events[-1].model_copy(
            update={"step": step, "outcome": outcome, "note": text, "outputs": {"report": {"number": text}}}
        )

    headers, lines = _parsed(_notification(hostile, *message.text(hostile, event(hostile, HOSTILE_SCHEDULE))))
    _, plain_lines = _parsed(_notification(plain, *message.text(plain, event(plain, "Senin"))))
    assert set(headers) == HEADERS
    assert "\r" not in headers["Subject"] and "\n" not in headers["Subject"]
    assert HOSTILE_OPD.replace("=?", "= ?") in headers["Subject"]
    assert len(lines) == len(plain_lines)
    assert not any(x.startswith(("Bcc:", "Reply-To:", "Transfer")) for x in lines)
    if step != 2:
        assert any("besok\\r\\nBcc: evil@x.id" in x for x in lines)


@pytest.mark.parametrize(
    "opd", ["Dinas\nBcc: x@y", "Dinas\rX", "Dinas\u2028X", "Dinas\x85X", "Dinas\x1b[31m"]
)
def test_a_request_with_a_line_break_or_control_character_is_refused(opd: str) -> None:
    with pytest.raises(ValidationError, match="forbidden character"):
        Request.model_validate(request().model_dump() | {"opd": opd})


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Jadwal\r\nBcc: x@y", "ok\n"),
        ("Jadwal \u2028Bcc: x@y", "ok\n"),
        ("Jadwal", "Yth. Budi,\r\nBcc: x@y\n"),
        ("Jadwal", "Yth. Budi \x1b]8;;http://evil\x1b\\\n"),
    ],
)
def test_a_stored_notification_with_a_control_character_is_not_sent(
    tmp_path: Path, subject: str, body: str
) -> None:
    n = _notification(_ticket(tmp_path, "Dinas Kesehatan"), subject, body)
    with pytest.raises(DeliveryError, match="not sent"):
        SmtpTransport(host="127.0.0.1").message(n)
