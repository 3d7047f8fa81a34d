"""What the fault side needs of a store: the contract between the fault record and its users.

The monitor's decisions, compliance runs, the pemohon's reports (API and pages), ``fault
diagnose`` and ``fault retest`` all go through :class:`FaultRecords`; the SQLite ticket store
implements it (``faults/store.py``). Values in and out are the frozen models of
:mod:`sipelangi_net.faults.models`; a refused step is a
:class:`~sipelangi_net.errors.WorkflowError` naming the fault, an unknown fault a
:class:`~sipelangi_net.errors.TicketNotFound` naming its ``GGN-`` label, a stored fault that does
not read back a :class:`~sipelangi_net.errors.MalformedTicketError` naming the label and field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from sipelangi_net.faults.models import (
    FaultActor,
    FaultKind,
    FaultRecord,
    FaultSource,
    FaultTicket,
    LinkRef,
)
from sipelangi_net.faults.sop import Severity, StepKey
from sipelangi_net.inventory import Name
from sipelangi_net.tickets.models import LongText, RequiredText

FaultStatus = Literal["open", "closed"]


class FaultDraft(BaseModel):
    """A fault to open: everything but its number and history (the store gives both)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: Annotated[str, Field(min_length=1, max_length=300)]
    """What the fault is about, unique among open faults (one fault per cause, not per sighting):
    ``monitor:<target>:<down|degraded>``, ``compliance:<device>:<finding>``, ``pemohon:<n>``."""
    kind: FaultKind
    source: FaultSource
    severity: Severity
    device: Name
    summary: RequiredText
    opened_at: dt.datetime
    link: LinkRef | None = None
    opds: tuple[Name, ...] = ()
    tickets: tuple[str, ...] = ()
    """Installation tickets; the store fills in the OPDs' own when this is empty."""
    note: LongText = ""


class FaultRecords(Protocol):
    def open(self, draft: FaultDraft, *, actor: FaultActor, at: dt.datetime) -> tuple[FaultTicket, bool]:
        """Open a fault for ``draft`` (step ``reported`` by ``actor`` at ``at``) and queue its
        notifications in the same transaction; when a fault with ``draft.key`` is already open,
        return it unchanged and ``False``."""
        ...

    def move(
        self,
        fault_id: int,
        step: StepKey,
        *,
        actor: FaultActor,
        at: dt.datetime,
        note: str = "",
        severity: Severity | None = None,
    ) -> FaultTicket:
        """Record ``step`` (workflow.move's checks) and queue its notifications, in one transaction;
        ``severity`` regrades the fault at ``triaged``."""
        ...

    def add_record(self, fault_id: int, record: FaultRecord) -> FaultTicket:
        """Append a diagnosis, re-test or observation to the fault (open or closed)."""
        ...

    def get(self, fault_id: int) -> FaultTicket: ...

    def open_by_key(self, key: str) -> FaultTicket | None: ...

    def list(
        self,
        *,
        status: FaultStatus | None = None,
        opd: str | None = None,
        source: FaultSource | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> Sequence[FaultTicket]:
        """Faults by number; ``since``/``until`` select those open at any time in that span."""
        ...
