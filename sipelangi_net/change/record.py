"""Steps 7 and 8 as recorded on the ticket: what a deploy run (or its journal) says happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.validate import printable


def record_installation(
    st: Any,
    ticket_id: str,
    actor: str,
    report: Any,
    tested: Any,
    *,
    started: dt.datetime | None = None,
    slot: Any = None,
) -> Ticket:
    """Step 7 done or failed; after a gated push, step 8 with the test (its start ends step 7)."""
    from sipelangi_net.bandwidth.gate import outputs, step8

    out: dict[str, Any] = {"deploy": report.to_json()}
    if slot is not None:
        out["slot"] = slot.model_dump(mode="json")
    ended = None
    if tested is not None and report.ok:
        ended = tested.result.started_at
    elif tested is not None:  # the gate failed: step 8 cannot follow a failed step 7, so keep it here
        out.update(outputs(tested))
    note = "" if report.ok else printable(report.error)[:2000]
    outcome = "done" if report.ok else "failed"
    move = Move(step=7, actor=actor, outcome=outcome, note=note, outputs=out, started_at=started)
    ticket: Ticket = st.apply(ticket_id, move.model_copy(update={"ended_at": ended}) if ended else move)
    if tested is not None and report.ok:
        ticket = st.apply(ticket_id, step8(tested, actor))
    return ticket
