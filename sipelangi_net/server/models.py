"""The API's request and response bodies, and the path and query values it accepts.

Path and query values carry the constraints the contract declares (ticket id
pattern, notification ids within SQLite's int64, date-times with a zone, known
statuses): nothing looser than ``docs/openapi.yaml`` says.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from fastapi import Path as PathParam
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from sipelangi_net.faults.models import FaultEvent, FaultKind, FaultRecord, FaultSource, LinkRef
from sipelangi_net.faults.sop import Severity, StepKey
from sipelangi_net.server.faultdesk import ApplicationCategory, NetworkCategory
from sipelangi_net.tickets.models import (
    Key,
    LongText,
    Request,
    RequiredText,
    Ticket,
    TicketId,
    in_utc_range,
)
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


# --- faults (/api/v1/faults) -----------------------------------------------------------------------
FAULT_LABEL = r"^GGN-[0-9]{5,15}$"
FaultPath = Annotated[
    str, PathParam(pattern=FAULT_LABEL, max_length=20, description="The fault's label, e.g. GGN-00042.")
]
Description = Annotated[LongText, Field(min_length=1, description="What the people at the OPD see.")]


class _NewFault(_Body):
    description: Description
    site: Key | None = Field(
        default=None,
        description=(
            "The OPD's site (sites.yaml key). A pemohon may leave it out when their account has one site;"
            " the helpdesk, reporting on an OPD's behalf, names it."
        ),
    )


class NetworkReport(_NewFault):
    """A fault of the OPD's network: putus (outage), lambat or putus-sambung (degraded), lainnya (minor)."""

    category: NetworkCategory


class ApplicationReport(_NewFault):
    """An application of the intranet the OPD cannot reach (severity proposed: degraded)."""

    category: ApplicationCategory
    application: Key = Field(description="The application (applications.yaml key), e.g. simpeg.")


NewFault = Annotated[NetworkReport | ApplicationReport, Field(discriminator="category")]
"""A person's fault report; the severity is proposed from the category, the helpdesk confirms it."""


class _FaultStep(_Body):
    note: LongText = Field(default="", description="What was found or done (the step's output).")


class Triage(_FaultStep):
    """The helpdesk's triage: the severity confirmed, the fault forwarded to the Tim Kerja."""

    step: Literal["triaged"]
    severity: Severity | None = Field(
        default=None, description="The severity the helpdesk confirms (default: as reported)."
    )


class OtherStep(_FaultStep):
    """closed: the helpdesk; diagnosed, fixed and verified: the Tim Kerja."""

    step: Literal["diagnosed", "fixed", "verified", "closed"]


FaultStep = Annotated[Triage | OtherStep, Field(discriminator="step")]
"""Record one fault step as the caller's account (``reported`` is ``POST /faults``; the monitor
records its own steps)."""


class StepTimeBody(_Body):
    """One step's time against the fault's severity's standard (``ended`` null: the step under way)."""

    step: StepKey
    started: dt.datetime
    ended: dt.datetime | None
    elapsed_s: float
    standard_s: int
    late: bool


class FaultBody(_Body):
    """A fault ticket: what failed, whom it cuts off, its steps and records, and its times."""

    id: str = Field(pattern=FAULT_LABEL)
    kind: FaultKind
    source: FaultSource
    severity: Severity
    device: str
    link: LinkRef | None
    opds: list[str]
    tickets: list[str]
    summary: str
    opened_at: dt.datetime
    history: list[FaultEvent]
    records: list[FaultRecord]
    step: StepKey = Field(description="The last step recorded.")
    closed_at: dt.datetime | None
    time_to_repair_s: float | None = Field(description="Closed minus opened; null while open.")
    times: list[StepTimeBody] = Field(description="Each step's time against its standard; late when over it.")
    late: bool = Field(description="A step (or the one under way) is over its standard.")
    next_steps: list[StepKey]


class FaultList(_Body):
    """One page of faults, in number order."""

    items: list[FaultBody]
    next: str | None = Field(
        description="The cursor of the next page (pass it back as `cursor`, same filters); null on the last."
    )
    limit: int
