"""Delivering the outbox: notifications to the requester's PIC by e-mail (SMTP) and/or a webhook.

The store enqueues a notification in the same transaction as the SOP step that
calls for it (step 6, the schedule; step 11, the ticket closed), so a ticket
update never waits for, or is lost by, a mail server. :func:`deliver_due` sends
what is due through small :class:`Transport` objects and records every attempt:
a failure is data (``record_delivery(ok=False)`` schedules a retry with backoff),
never an exception. Once a closing notification is delivered, SOP step 12
(closing notice) is recorded on the ticket, once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Protocol

import httpx

from sipelangi_net.errors import ConfigError, DeliveryError, WorkflowError
from sipelangi_net.logs import register_secret, scrub
from sipelangi_net.redact import redact_url, url_secrets
from sipelangi_net.tickets.acting import as_system
from sipelangi_net.tickets.messages import WIB
from sipelangi_net.tickets.models import Move, Notification
from sipelangi_net.tickets.store import TicketStore
from sipelangi_net.validate import unsafe_character

log = logging.getLogger(__name__)

SENDER_NAME = "Helpdesk Diskominfo Kota Pangkalpinang"
DEFAULT_SENDER = "helpdesk@diskominfo.pangkalpinangkota.go.id"
DEFAULT_SMTP_PORT = 25
SMTP_TIMEOUT_S = 30.0
WEBHOOK_TIMEOUT_S = 10.0
ACTOR = "SiPelangi"
MAX_ERROR_CHARS = 300
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class Transport(Protocol):
    """One channel of the outbox; ``send`` raises on any failure."""

    def send(self, n: Notification) -> None: ...


def _single_line(what: str, value: str, n: Notification) -> str:
    """``value`` for a header: refused with a line break or any other control character."""
    bad = unsafe_character(value)
    if bad:
        kind = "a line break" if "\r" in value or "\n" in value else "a control character"
        raise DeliveryError(
            f"ticket {n.about}: notification {n.id}: the {what} contains {kind}, {bad}"
            " (header injection?); not sent"
        )
    return value


def _checked_body(n: Notification) -> str:
    """The body, refused when a line holds CR or another control character (only LF ends a line)."""
    for number, text in enumerate(n.body.split("\n"), start=1):
        bad = unsafe_character(text)
        if bad:
            raise DeliveryError(
                f"ticket {n.about}: notification {n.id}: line {number} of the body holds {bad}; not sent"
            )
    return n.body


class SmtpTransport:
    """Send e-mail through one SMTP server (no I/O until :meth:`send`)."""

    def __init__(
        self,
        *,
        host: str,
        port: int = DEFAULT_SMTP_PORT,
        sender: str = DEFAULT_SENDER,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = SMTP_TIMEOUT_S,
    ) -> None:
        try:
            self._from = Address(display_name=SENDER_NAME, addr_spec=sender)
        except (ValueError, IndexError) as exc:
            raise ConfigError(f"SMTP sender {sender!r} is not an e-mail address: {exc}") from None
        register_secret(password)
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout

    def message(self, n: Notification) -> EmailMessage:
        """The e-mail for ``n`` (pure); raises DeliveryError for a recipient or subject that is unsafe."""
        recipient = _single_line("recipient", n.recipient, n)
        subject = _single_line("subject", n.subject, n)
        try:
            to = Address(addr_spec=recipient)
        except (ValueError, IndexError) as exc:
            raise DeliveryError(
                f"ticket {n.about}: notification {n.id}: recipient {recipient!r} is not one e-mail"
                f" address ({exc}); not sent"
            ) from None
        msg = EmailMessage(policy=SMTP)
        msg["From"] = self._from
        msg["To"] = to
        # "=?...?=" in the text would be decoded by the reader as an RFC 2047 encoded word (the email
        # package does not encode it), and could carry CR/LF into what the mail client shows: break it.
        msg["Subject"] = subject.replace("=?", "= ?")
        msg["Date"] = format_datetime(dt.datetime.now(WIB))
        # Stable per notification, so a resend after a lost acknowledgement is recognisably the same mail.
        stamp = n.created_at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S%f")
        msg["Message-ID"] = f"<{n.about}.{n.kind}.{n.id}.{stamp}@{self._from.domain}>"
        msg["X-SiPelangi-Ticket"] = n.about
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(_checked_body(n), charset="utf-8")
        return msg

    def send(self, n: Notification) -> None:
        msg = self.message(n)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self._password or "")
            # Explicit envelope: only the one checked recipient, whatever the headers say.
            smtp.send_message(msg, from_addr=self.sender, to_addrs=[n.recipient])


class WebhookTransport:
    """POST each notification as JSON to one URL (no I/O until :meth:`send`)."""

    def __init__(
        self,
        *,
        url: str,
        token: str | None = None,
        timeout: float = WEBHOOK_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        try:
            scheme = httpx.URL(url).scheme
        except httpx.InvalidURL as exc:
            raise ConfigError(f"webhook URL is invalid: {exc}") from None
        if scheme not in ("http", "https") or not httpx.URL(url).host:
            raise ConfigError(f"webhook URL {redact_url(url)!r} must be http(s)://host/...")
        register_secret(token, *url_secrets(url))  # user info, query values, /hooks/<secret> ...
        self.url = url
        self._token = token
        self.timeout = timeout
        self._transport = transport

    def send(self, n: Notification) -> None:
        payload = {
            "ticket_id": n.ticket_id,
            "fault_id": None if n.fault_id is None else n.about,
            "kind": n.kind,
            "subject": _single_line("subject", n.subject, n),
            "body": _checked_body(n),
            "recipient": redact_url(n.recipient) if n.channel == "webhook" else n.recipient,
        }
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
            response = client.post(self.url, json=payload, headers=headers)
        if not response.is_success:
            raise DeliveryError(
                f"webhook {redact_url(self.url)} answered HTTP {response.status_code}"
                f" {response.reason_phrase}".rstrip()
            )


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r}: expected one of {', '.join(_TRUE + _FALSE[1:])}")


def _smtp_from_env(env: Mapping[str, str]) -> SmtpTransport | None:
    host = env.get("SIPELANGI_SMTP_HOST", "").strip()
    if not host:
        return None
    raw_port = env.get("SIPELANGI_SMTP_PORT", "").strip() or str(DEFAULT_SMTP_PORT)
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise ConfigError(f"SIPELANGI_SMTP_PORT={raw_port!r}: expected a TCP port (1-65535)")
    username = env.get("SIPELANGI_SMTP_USER") or None
    password = env.get("SIPELANGI_SMTP_PASSWORD") or None
    if bool(username) != bool(password):
        raise ConfigError("set both SIPELANGI_SMTP_USER and SIPELANGI_SMTP_PASSWORD, or neither")
    return SmtpTransport(
        host=host,
        port=int(raw_port),
        sender=env.get("SIPELANGI_SMTP_FROM", "").strip() or DEFAULT_SENDER,
        username=username,
        password=password,
        starttls=_flag(env, "SIPELANGI_SMTP_STARTTLS"),
    )


def transports_from_env(env: Mapping[str, str] | None = None) -> dict[str, Transport]:
    """The configured channels (``email``, ``webhook``); a channel without configuration is absent."""
    env = os.environ if env is None else env
    transports: dict[str, Transport] = {}
    smtp = _smtp_from_env(env)
    if smtp is not None:
        transports["email"] = smtp
    url = env.get("SIPELANGI_WEBHOOK_URL", "").strip()
    if url:
        transports["webhook"] = WebhookTransport(url=url, token=env.get("SIPELANGI_WEBHOOK_TOKEN") or None)
    return transports


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :func:`deliver_due` run did."""

    sent: int
    failed: int
    skipped: int
    """Due, but no transport is configured for the channel (left pending)."""
    errors: tuple[str, ...]


def _reason(exc: BaseException) -> str:
    """A one-line, scrubbed reason for the outbox's ``last_error``."""
    text = " ".join(str(exc).split()) or "no details"
    if not isinstance(exc, DeliveryError):
        text = f"{type(exc).__name__}: {text}"
    return scrub(text)[:MAX_ERROR_CHARS]


def _attempt(transport: Transport, n: Notification) -> str:
    """Send ``n``; return "" on success or the reason it failed."""
    try:
        transport.send(n)
    except Exception as exc:  # any failure of any transport is data: recorded and retried
        return _reason(exc)
    return ""


def record_closing_notice(store: TicketStore, n: Notification) -> str:
    """Record SOP step 12 once the closing notice is out; return "" or why it could not be recorded.

    As SiPelangi itself (``policy.SYSTEM``) on a local store; a server does it when the delivery is
    reported to it (``POST /notifications/{id}/delivery``), so over HTTP the ticket reads notified
    already and nothing is sent.
    """
    if n.ticket_id is None or store.get(n.ticket_id).status == "notified":
        return ""
    recipient = redact_url(n.recipient) if n.channel == "webhook" else n.recipient
    move = Move(step=12, actor=ACTOR, outputs={"channel": n.channel, "recipient": recipient})
    try:
        as_system(store).apply(n.ticket_id, move)  # step 12 is the system's (policy.SYSTEM)
    except WorkflowError as exc:
        if store.get(n.ticket_id).status == "notified":  # another delivery got there first
            return ""
        return f"ticket {n.ticket_id}: closing notice sent but step 12 not recorded: {scrub(str(exc))}"
    return ""


def deliver_due(
    store: TicketStore, transports: Mapping[str, Transport], *, now: dt.datetime | None = None
) -> DeliveryReport:
    """Send every notification due by ``now``; each failure is recorded for a retry, never raised."""
    return deliver_due_from(lambda: nullcontext(store), transports, now=now)


def deliver_due_from(
    opened: Callable[[], AbstractContextManager[TicketStore]],
    transports: Mapping[str, Transport],
    *,
    now: dt.datetime | None = None,
) -> DeliveryReport:
    """:func:`deliver_due` on a store ``opened`` gives, held only while the outbox is read and while
    each attempt is recorded, never while a message is sent: a slow mail server does not hold up the
    store's other users (the server's requests)."""
    due = now or dt.datetime.now(dt.UTC)
    sent = failed = skipped = 0
    errors: list[str] = []
    with opened() as store:
        waiting = store.outbox(due=due)
    for n in waiting:
        transport = transports.get(n.channel)
        if transport is None:
            skipped += 1
            continue
        reason = _attempt(transport, n)
        if reason:
            with opened() as store:
                after = store.record_delivery(n.id, ok=False, error=reason)
            failed += 1
            errors.append(f"ticket {n.about}: {n.kind} notification {n.id} by {n.channel}: {reason}")
            log.warning(
                "%s: %s notification %d by %s failed (attempt %d, %s): %s",
                n.about,
                n.kind,
                n.id,
                n.channel,
                after.attempts,
                "gave up" if after.status == "failed" else f"retry after {after.next_attempt_at:%H:%M:%S}Z",
                reason,
            )
            continue
        problem = ""
        with opened() as store:
            store.record_delivery(n.id, ok=True)
            if n.kind == "closing":
                problem = record_closing_notice(store, n)
        sent += 1
        log.info("%s: %s notification %d sent by %s", n.about, n.kind, n.id, n.channel)
        if problem:
            errors.append(problem)
            log.warning("%s", problem)
    return DeliveryReport(sent=sent, failed=failed, skipped=skipped, errors=tuple(errors))
