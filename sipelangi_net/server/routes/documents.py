"""The tickets' documents on the server: ``GET /tickets/{id}/documents[/{name}]`` to download what a
ticket records (the Lembar Disposisi the server makes when step 3 comes without one:
:mod:`sipelangi_net.server.disposisi`).

**Downloads.** A ticket's recorded documents (the step-3 sheets, the step-10 report) are served
by file name to whoever may read the ticket (a pemohon: their OPD's; else "not found"). A sheet
the server does not hold (written on a laptop) is written again from the record, which gives the
same bytes; a file whose SHA-256 is not the recorded one is never served (409).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from sipelangi_net.documents import disposisi
from sipelangi_net.documents.writer import read_intact, write_document
from sipelangi_net.errors import MalformedTicketError
from sipelangi_net.paths import reports_dir
from sipelangi_net.server.auth import Caller
from sipelangi_net.server.disposisi import DECISION_STEP
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.models import TicketPath
from sipelangi_net.server.routes import NOT_FOUND, Responses, api_router
from sipelangi_net.server.store import ServedStore, run
from sipelangi_net.tickets import policy
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Reported, outputs_of

logger = logging.getLogger(__name__)

REPORT_STEP = 10
MEDIA = {".pdf": "application/pdf", ".html": "text/html; charset=utf-8"}
NamePath = Annotated[
    str,
    PathParam(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.(pdf|html)$",
        description="The file's name, as the ticket's documents list it.",
    ),
]


def reports_of(request: HttpRequest) -> Path:
    """Where the server writes and finds the tickets' documents."""
    configured: Path | None = getattr(request.app.state, "reports", None)
    return configured or reports_dir()


# --- downloads ------------------------------------------------------------------------
class TicketDocument(BaseModel):
    """One file a ticket records: download it by ``name``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str
    number: str
    step: int
    sha256: str


@dataclass(frozen=True, slots=True)
class _Recorded:
    doc: TicketDocument
    decision: disposisi.Decision | None
    """The step-3 decision whose sheet this is (written again when the server lacks it)."""


def _recorded(record: Any, step: int, decision: disposisi.Decision | None = None) -> list[_Recorded]:
    """The HTML and PDF files of one recorded document (``record``: its kind, number and files)."""
    return [
        _Recorded(
            TicketDocument(
                name=Path(written.path).name,
                kind=record.kind,
                number=record.number,
                step=step,
                sha256=written.sha256,
            ),
            decision,
        )
        for written in (record.html, record.pdf)
    ]


def recorded_documents(ticket: Ticket) -> list[_Recorded]:
    """The files the ticket's events record (step-3 sheets, step-10 report), in event order."""
    out: list[_Recorded] = []
    for decision, record in disposisi.recorded_decisions(ticket):
        if record is not None:
            out += _recorded(record, DECISION_STEP, decision)
    for event in ticket.events:
        if event.step != REPORT_STEP or event.outcome != "done":
            continue
        try:
            report = outputs_of(ticket, event, Reported).report
        except MalformedTicketError:
            continue
        if report is not None:
            out += _recorded(report, REPORT_STEP)
    return out


router = api_router()


def _visible(store: ServedStore, ticket_id: str, caller: policy.Actor) -> Ticket:
    ticket = store.get(ticket_id)
    if not policy.may_see(ticket, caller):
        raise ApiError(404, "not_found", f"ticket {ticket_id}: not found")
    return ticket


@router.get(
    "/tickets/{ticket_id}/documents",
    response_model=list[TicketDocument],
    tags=["documents"],
    responses=NOT_FOUND,
)
def list_documents(request: HttpRequest, ticket_id: TicketPath, caller: Caller) -> list[TicketDocument]:
    """The documents a ticket records (Lembar Disposisi, installation report), to download by name.
    A ticket the caller may not see (a pemohon and another OPD's ticket) is "not found"."""
    found = run(
        request,
        lambda s: recorded_documents(_visible(s, ticket_id, caller)),
        missing=f"ticket {ticket_id}: not found",
    )
    return [r.doc for r in found]


_FILE: Responses = {
    200: {"content": {"application/pdf": {}, "text/html": {}}, "description": "The file"},
    404: {"description": "No such ticket, no such document of it, or not on this server"},
    409: {"description": "The file on the server does not have the recorded SHA-256"},
}


def _file(ticket: Ticket, found: _Recorded, reports: Path) -> bytes:
    path = reports / ticket.id / found.doc.name
    if not path.is_file() and found.decision is not None:  # written on a laptop: write it here
        written = write_document(disposisi.build_disposisi(ticket, found.decision), out=reports)
        logger.info("%s: Lembar Disposisi %s written again from the record", ticket.id, written.number)
    if not path.is_file():
        raise ApiError(404, "not_found", f"ticket {ticket.id}: {found.doc.name} is not on this server")
    data = read_intact(path, found.doc.sha256)
    if data is None:
        logger.error("%s: %s does not have the recorded SHA-256", ticket.id, path)
        raise ApiError(
            409,
            "conflict",
            f"ticket {ticket.id}: {found.doc.name} on the server differs from the recorded one",
        )
    return data


@router.get(
    "/tickets/{ticket_id}/documents/{name}", tags=["documents"], response_class=Response, responses=_FILE
)
def get_document(request: HttpRequest, ticket_id: TicketPath, name: NamePath, caller: Caller) -> Response:
    """One of the ticket's documents (PDF or HTML), checked against its recorded SHA-256."""
    reports = reports_of(request)

    def action(store: ServedStore) -> bytes:
        ticket = _visible(store, ticket_id, caller)
        found = next((r for r in recorded_documents(ticket) if r.doc.name == name), None)
        if found is None:
            raise ApiError(404, "not_found", f"ticket {ticket_id}: no document {name}")
        return _file(ticket, found, reports)

    content = run(request, action, missing=f"ticket {ticket_id}: not found")
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=MEDIA[Path(name).suffix], headers=headers)
