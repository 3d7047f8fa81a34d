"""Fault tickets: list them, read one, report one, record a step (``/api/v1/faults``; issue 19).

The same guard, authentication, paging and error answers as the tickets: a pemohon reports a fault
at a site of their own OPD (or the helpdesk on the OPD's behalf) and sees only their OPD's faults
(another OPD's is "not found"); the helpdesk triages and closes; the Tim Kerja diagnoses, fixes and
verifies; any other account's step is 403 naming the step and the role it needs
(:mod:`~sipelangi_net.server.faultdesk`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Literal

from fastapi import Query
from fastapi import Request as HttpRequest
from fastapi.responses import Response

from sipelangi_net.errors import InventoryError
from sipelangi_net.faults.models import FaultSource, FaultTicket, label_number
from sipelangi_net.faults.records import FaultRecords
from sipelangi_net.faults.standards import FaultStandards
from sipelangi_net.faults.workflow import late, next_steps, step_times, time_to_repair
from sipelangi_net.server import faultdesk
from sipelangi_net.server.auth import Caller
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.models import (
    ApiErrorBody,
    ApplicationReport,
    FaultBody,
    FaultList,
    FaultPath,
    FaultStep,
    NewFault,
    Triage,
)
from sipelangi_net.server.paging import CURSOR_PATTERN, decode_after, encode_after
from sipelangi_net.server.routes import FORBIDDEN, REFUSED, Responses, api_router
from sipelangi_net.server.store import ServedStore, inventory, run
from sipelangi_net.tickets.models import Key
from sipelangi_net.tickets.sqlite import utcnow

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_LABEL = re.compile(r"GGN-[0-9]{5,15}")

FAULT_NOT_FOUND: Responses = {
    404: {"model": ApiErrorBody, "description": "No such fault (or, for a pemohon, another OPD's)"}
}
THROTTLED: Responses = {
    429: {
        "model": ApiErrorBody,
        "description": f"The account reported {faultdesk.REPORTS_PER_HOUR} faults in the last hour; wait",
    }
}
ALREADY_OPEN: Responses = {
    200: {
        "model": FaultBody,
        "description": "The same report is open already (same site and category): that fault",
    }
}

router = api_router()


def records_of(store: ServedStore) -> FaultRecords:
    return store.faults


def standards(request: HttpRequest) -> FaultStandards:
    """The fault time standards beside the server's inventory (503 when they cannot be read)."""
    try:
        return faultdesk.standards_at(inventory(request).path)
    except InventoryError as exc:
        raise ApiError(503, "unavailable", f"the fault time standards cannot be read: {exc}") from None


def fault_body(fault: FaultTicket, norms: FaultStandards, *, now: dt.datetime) -> FaultBody:
    """``fault`` with its step times against ``norms`` (the one under way too), as the API answers it."""
    times = step_times(fault, norms, now=now)
    took = time_to_repair(fault)
    return FaultBody.model_validate(
        {
            **fault.to_json(),
            "closed_at": fault.closed_at,
            "time_to_repair_s": took.total_seconds() if took is not None else None,
            "times": [t.to_json() for t in times],
            "late": bool(late(times)),
            "next_steps": list(next_steps(fault)),
        }
    )


def _answer(body: FaultBody, *, status: int = 200) -> Response:
    return Response(body.model_dump_json(), status_code=status, media_type="application/json")


def _number(fault_id: str) -> int:
    try:
        return label_number(fault_id)
    except ValueError:
        raise ApiError(404, "not_found", f"fault {fault_id}: not found") from None


@router.get("/faults", response_model=FaultList, tags=["faults"])
def list_faults(
    request: HttpRequest,
    caller: Caller,
    *,
    status: Annotated[
        Literal["open", "closed"] | None, Query(description="Open or closed faults only.")
    ] = None,
    opd: Annotated[
        Key | None, Query(description="Only faults cutting off this OPD site (sites.yaml key).")
    ] = None,
    source: Annotated[
        FaultSource | None, Query(description="Who opened it: monitor, compliance, pemohon.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Faults per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(pattern=CURSOR_PATTERN, description="The `next` of the previous page, with the same filters."),
    ] = None,
) -> Response:
    """One page of faults in number order; filters combine with AND. A pemohon sees only the faults of
    their OPD's sites (whoever opened them: the monitor, compliance, a report); another ``opd`` gives none.

    Keyset pagination on the number, the cursor signed and bound to the filters (422 otherwise).
    """
    sites = faultdesk.account_sites(caller, inventory(request))
    key: bytes = request.app.state.cursor_key
    filters = {
        "status": status,
        "opd": opd,
        "source": source,
        "sites": sorted(sites or ()),
        "all": sites is None,
    }
    after = label_number(decode_after(key, cursor, filters=filters, item=_LABEL)) if cursor else 0
    norms, now = standards(request), utcnow()

    def action(store: ServedStore) -> list[FaultTicket]:
        found = faultdesk.visible(records_of(store), sites, status=status, opd=opd, source=source)
        return [f for f in found if f.id > after][: limit + 1]

    page = run(request, action)
    more = len(page) > limit
    items = [fault_body(f, norms, now=now).model_dump_json() for f in page[:limit]]
    following = encode_after(key, after=page[limit - 1].label, filters=filters) if more else None
    body = f'{{"items":[{",".join(items)}],"next":{json.dumps(following)},"limit":{limit}}}'
    return Response(body, media_type="application/json")


@router.get("/faults/{fault_id}", response_model=FaultBody, tags=["faults"], responses=FAULT_NOT_FOUND)
def get_fault(request: HttpRequest, fault_id: FaultPath, caller: Caller) -> Response:
    """One fault: its steps, each step's time against the standard of its severity (``late`` when over
    it; an open fault's step under way too), its records (diagnoses, re-tests) and its time to repair.
    Another OPD's fault, for a pemohon, is "not found" as a missing number is."""
    sites = faultdesk.account_sites(caller, inventory(request))
    missing = f"fault {fault_id}: not found"
    number = _number(fault_id)

    def action(store: ServedStore) -> FaultTicket:
        fault = records_of(store).get(number)
        if not faultdesk.may_see(fault, sites):
            raise ApiError(404, "not_found", missing)
        return fault

    fault = run(request, action, missing=missing)
    return _answer(fault_body(fault, standards(request), now=utcnow()))


@router.post(
    "/faults",
    status_code=201,
    response_model=FaultBody,
    tags=["faults"],
    responses={**ALREADY_OPEN, **FORBIDDEN, **THROTTLED},
)
def report_fault(request: HttpRequest, body: NewFault, caller: Caller) -> Response:
    """Report a fault (its step ``reported``): a pemohon for a site of their own OPD (``site`` may be
    left out when the account has one), or the helpdesk on an OPD's behalf (``site`` named). The
    severity is proposed from the category (putus: outage; lambat, putus-sambung, an application:
    degraded; lainnya: minor); the helpdesk confirms it when it triages. The helpdesk and the OPD's
    PIC are notified. The same report (site, category, application) while one is open answers that
    fault (200), the report kept on it as an observation (once per account). An account opens at most
    10 faults an hour (429). Any other role: 403."""
    known, now = inventory(request), utcnow()
    application = body.application if isinstance(body, ApplicationReport) else None

    def action(store: ServedStore) -> tuple[FaultTicket, bool]:
        site = faultdesk.report_site(caller, body.site, known)
        draft = faultdesk.report_draft(
            category=body.category,
            application=application,
            description=body.description,
            site=site,
            inventory=known,
            account=caller,
            now=now,
        )
        try:
            return faultdesk.file_report(records_of(store), draft, account=caller, now=now)
        except faultdesk.TooMany as exc:
            raise ApiError(429, "throttled", str(exc)) from None

    fault, opened = run(request, action)
    return _answer(fault_body(fault, standards(request), now=now), status=201 if opened else 200)


@router.post(
    "/faults/{fault_id}/steps",
    status_code=201,
    response_model=FaultBody,
    tags=["faults"],
    responses={**FAULT_NOT_FOUND, **REFUSED, **FORBIDDEN},
)
def record_step(request: HttpRequest, fault_id: FaultPath, body: FaultStep, caller: Caller) -> Response:
    """Record one fault step as the caller's account: ``triaged`` (with the severity confirmed) and
    ``closed`` by the helpdesk, ``diagnosed``, ``fixed`` and ``verified`` by the Tim Kerja (403 naming
    the step and the role otherwise; nothing recorded). A move the fault SOP does not allow now is 409
    (``closed`` only after ``verified``; a fix that did not hold goes back to ``diagnosed``)."""
    sites = faultdesk.account_sites(caller, inventory(request))
    missing = f"fault {fault_id}: not found"
    number = _number(fault_id)
    severity = body.severity if isinstance(body, Triage) else None

    def action(store: ServedStore) -> FaultTicket:
        records = records_of(store)
        fault = records.get(number)
        if not faultdesk.may_see(fault, sites):
            raise ApiError(404, "not_found", missing)
        actor = faultdesk.step_actor(fault, body.step, caller)
        return faultdesk.record_step(
            records, fault, body.step, actor=actor, note=body.note, severity=severity, at=utcnow()
        )

    fault = run(request, action, missing=missing)
    return _answer(fault_body(fault, standards(request), now=utcnow()), status=201)
