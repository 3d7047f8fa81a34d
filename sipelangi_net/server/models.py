"""The API's request and response bodies, and the path and query values it accepts.

Path and query values carry the constraints the contract declares (ticket id
pattern, notification ids within SQLite's int64, date-times with a zone, known
statuses): nothing looser than ``docs/openapi.yaml`` says.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Path as PathParam
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from sipelangi_net.tickets.models import Request, RequiredText, Ticket, TicketId, in_utc_range
from sipelangi_net.tickets.sop import STATUSES

MAX_ID = 2**63 - 1  # SQLite's INTEGER

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:[Zz]|[+-]\d\d:\d\d)")


def _rfc3339(value: object) -> object:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("expected a date-time with a zone, e.g. 2026-11-28T09:30:00+07:00")


def _known_status(value: str) -> str:
    if value not in STATUSES:
        raise ValueError(f"unknown status (statuses: {', '.join(STATUSES)})")
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_rfc3339), AfterValidator(in_utc_range)]
Status = Annotated[
    str, AfterValidator(_known_status), WithJsonSchema({"type": "string", "enum": list(STATUSES)})
]
NotificationId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="The notification's id.")]
TicketPath = Annotated[TicketId, PathParam(description="The ticket id, e.g. SPL-2026-00001.")]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NewTicket(_Body):
    """Open a ticket (SOP steps 1 and 2)."""

    request: Request
    helpdesk: RequiredText = Field(description="The helpdesk officer who forwards it to the Kepala Dinas.")


class Delivery(_Body):
    """One delivery attempt of a notification."""

    ok: Annotated[bool, Field(strict=True)]
    error: str = Field(default="", max_length=2000)


class RetryFailed(_Body):
    """Make failed notifications pending again (all, or one ticket's)."""

    ticket_id: TicketId | None = None


class Retried(_Body):
    retried: int


class TicketList(_Body):
    """One page of the ticket list, in id order (which is creation order)."""

    items: list[Ticket]
    next: str | None = Field(
        description=(
            "The cursor of the next page (pass it back as `cursor` with the same filters);"
            " null on the last page."
        )
    )
    limit: int = Field(description="The page size used.")


class Health(_Body):
    status: str


class ApiErrorBody(_Body):
    error: str
    code: str


class LoginBody(_Body):
    """A login: an account's username and password, and a name for the token it gets."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(
        default="api", min_length=1, max_length=100, description="Names the token (e.g. user@laptop)."
    )


class IssuedTokenBody(_Body):
    """A new API token: shown once; only its digest is kept on the server."""

    token: str
    expires_at: dt.datetime
