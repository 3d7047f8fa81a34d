"""Typed values of the ticket record: request, moves, events, tickets, notifications."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_serializer,
)
from pydantic_core import PydanticCustomError

from sipelangi_net.redact import redact_url
from sipelangi_net.tickets.sop import STEP_BY_NUMBER
from sipelangi_net.validate import safe_text

MAX_USERS = 1000


def _safe(max_length: int, value: object) -> object:
    """safe_text before the length limits (it strips blanks), so that what is stored reads back valid.

    The limit holds for the text as sent too, so the contract's ``maxLength`` is exact.
    """
    if not isinstance(value, str):
        return value
    if len(value) > max_length:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters",
            {"max_length": max_length},
        )
    return safe_text(value)


# In the API contract, ``format: safe-text``: one line of printable text (validate.safe_text's rule),
# without surrounding blanks (they are removed before the length limits apply).
SafeText = Field(json_schema_extra={"format": "safe-text"})
Text = Annotated[str, StringConstraints(max_length=200), BeforeValidator(partial(_safe, 200)), SafeText]
RequiredText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), BeforeValidator(partial(_safe, 200)), SafeText
]
LongText = Annotated[str, StringConstraints(max_length=2000), BeforeValidator(partial(_safe, 2000)), SafeText]


# JSON types as the contract declares them, also when a caller hands over parsed JSON (the API):
# pydantic's lax mode would take "40" or true as a number and 1700000000 as a date.
def _whole_number(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSON Schema: 40.0 is an integer
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _iso_text(value: object) -> object:
    if isinstance(value, (int, float)):
        raise PydanticCustomError("iso_text", "Input should be an ISO 8601 date or date-time as text")
    return value


def in_utc_range(value: dt.datetime) -> dt.datetime:
    """``value`` unless it cannot be expressed in UTC (``0001-01-01T00:00+20:01`` falls before year 1)."""
    if value.tzinfo is not None:
        try:
            value.astimezone(dt.UTC)
        except OverflowError:
            raise PydanticCustomError(
                "datetime_range", "Input should be a date-time between years 1 and 9999 in UTC"
            ) from None
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
Day = Annotated[dt.date, BeforeValidator(_iso_text)]
When = Annotated[dt.datetime, BeforeValidator(_iso_text), AfterValidator(in_utc_range)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()-]{5,19}$")]
TicketId = Annotated[str, StringConstraints(pattern=r"^SPL-\d{4}-\d{5}$")]
Outcome = Literal["done", "failed", "approve", "defer", "resubmit", "acknowledge", "withdraw"]
JsonValue = Any


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


# Domains email_validator refuses as special-use (RFC 6761), so the contract says so too.
_SPECIAL_USE = (
    "[.@](" + "|".join(map(_any_case, ("arpa", "invalid", "local", "localhost", "onion", "test"))) + r")\.?$"
)


class Pic(_Frozen):
    """The requester's contact person."""

    name: RequiredText
    phone: Phone
    email: Annotated[EmailStr, Field(json_schema_extra={"not": {"pattern": _SPECIAL_USE}})]


class Letter(_Frozen):
    """The request letter (Surat Permohonan)."""

    number: RequiredText
    date: Day
    scan_sha256: Annotated[
        str, StringConstraints(pattern=r"^([0-9a-f]{64})?$"), Field(exclude_if=lambda v: not v)
    ] = ""
    """The SHA-256 of the signed letter's PDF uploaded with the request (the pages), "" when none.
    Left out when empty, so a request made before this field existed hashes as it did."""


class Request(_Frozen):
    """An OPD's request for intranet access (SOP step 1)."""

    opd: Annotated[
        str, StringConstraints(min_length=3, max_length=150), BeforeValidator(partial(_safe, 150)), SafeText
    ]
    site: Key
    pic: Pic
    users: Annotated[int, Field(ge=1, le=MAX_USERS), BeforeValidator(_whole_number)]
    applications: Annotated[list[Key], Field(min_length=1, max_length=20)]
    letter: Letter
    notes: LongText = ""
    submitted_at: When | None = None


def _valid_step(n: int) -> int:
    if n not in STEP_BY_NUMBER:
        raise ValueError("SOP steps are numbered 1 to 12")
    return n


class Move(_Frozen):
    """What a caller asks the workflow to record: one SOP step done (or failed, approved, deferred)."""

    step: Annotated[
        WholeNumber,
        AfterValidator(_valid_step),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 12}),
    ]
    actor: RequiredText
    outcome: Outcome = "done"
    note: LongText = ""
    outputs: dict[str, JsonValue] = {}
    started_at: When | None = None
    ended_at: When | None = None


class AccountStamp(_Frozen):
    """The account that recorded an event, as the policy (:mod:`sipelangi_net.tickets.policy`) let it act.

    Covered by the event's hash when present; events recorded without accounts have none.
    """

    id: RequiredText
    username: RequiredText
    display_name: RequiredText
    role: RequiredText
    """The account's role (``pemohon``, ``helpdesk``, ``kepala_dinas``, ... or ``system``)."""
    on_behalf_of: Text = ""
    """Whom the step was recorded for (the helpdesk entering a pemohon's paper letter)."""
    delegation: Text = ""
    """The delegation it acted under (``Plt. Kepala Dinas on 2026-12-01``), "" when none."""
    local: bool = Field(default=False, exclude_if=lambda v: not v)
    """Single-engineer mode's local account (docs/accounts.md): it may record every step, so the
    record shows the step was not decided by the policy. Left out when false, so a stamp made
    before this field existed hashes as it did."""


class Event(_Frozen):
    """One recorded SOP step of a ticket; hash-chained to the one before."""

    ticket_id: TicketId
    seq: int
    step: Annotated[int, AfterValidator(_valid_step)]
    outcome: Outcome
    actor: str
    role: str
    started_at: dt.datetime
    ended_at: dt.datetime
    note: str = ""
    outputs: dict[str, JsonValue] = {}
    account: AccountStamp | None = None
    prev_hash: str
    hash: str

    @property
    def duration_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def standard_s(self) -> int:
        return STEP_BY_NUMBER[self.step].standard_s

    @property
    def breach(self) -> bool:
        return self.duration_s > self.standard_s

    def to_json(self) -> dict[str, JsonValue]:
        data = self.model_dump(mode="json")
        data["duration_s"] = round(self.duration_s, 3)
        data["standard_s"] = self.standard_s
        data["breach"] = self.breach
        data["title"] = STEP_BY_NUMBER[self.step].title
        return data


class Ticket(_Frozen):
    id: TicketId
    created_at: dt.datetime
    request: Request
    status: str
    events: tuple[Event, ...] = ()

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "status": self.status,
            "request": self.request.model_dump(mode="json"),
            "events": [e.to_json() for e in self.events],
        }


NotificationKind = Literal[
    "schedule", "closing", "disposition", "deferral", "report", "fault_opened", "fault_closed"
]
NotificationStatus = Literal["pending", "sent", "failed"]


class Notification(_Frozen):
    """A message of the SOP (to the requester's PIC or an official), kept in the outbox until delivered."""

    id: int
    ticket_id: TicketId | None = None
    """The ticket it is about; ``None`` for a fault's (``fault_id``): each is about exactly one."""
    fault_id: Annotated[int, Field(ge=1)] | None = None
    """The fault ticket (``GGN-``) it is about (faults/notices.py), or ``None``."""
    kind: NotificationKind
    channel: Literal["email", "webhook"]
    recipient: str
    subject: str
    body: str
    status: NotificationStatus
    attempts: int
    last_error: str = ""
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None = None

    @property
    def about(self) -> str:
        """The ticket's id or the fault's ``GGN-`` label: what the message is about."""
        return self.ticket_id or f"GGN-{self.fault_id or 0:05d}"

    @field_serializer("recipient")
    def _shown_recipient(self, recipient: str) -> str:
        """A webhook URL may carry credentials or a token: it is never serialised in clear (API,
        ``--json``, the HTTP store). The outbox keeps it; delivery posts to the configured URL."""
        return redact_url(recipient) if self.channel == "webhook" else recipient
