"""The Lembar Disposisi the server makes when step 3 comes without one (through the API or the pages).

``ticket approve`` on a laptop writes the sheet there and sends its record; anything else that
records step 3 (a client of the API, ``ticket record``, the Kepala Dinas's decision page) sends
none. Then the server writes the sheet itself, in its reports directory (``serve``'s
``SIPELANGI_REPORTS``), as the CLI would: the decision, the consideration, the account that
decided (Plt./Plh. from its delegation) and when, and records it with its SHA-256 on the event.
The policy is asked first, so a refused caller writes nothing; the files are removed again when
the store refuses the step. The record names the files relative to the reports directory (no
server path in an answer).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sipelangi_net.documents import disposisi
from sipelangi_net.documents.writer import DocumentFiles, write_document
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets import policy
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.workflow import may_do

logger = logging.getLogger(__name__)

DECISION_STEP = 3


def needs_sheet(move: Move) -> bool:
    """Whether the server makes the Lembar Disposisi of ``move`` (a step-3 decision sent without one)."""
    return (
        move.step == DECISION_STEP
        and move.outcome in ("approve", "defer")
        and "disposisi" not in move.outputs
    )


def kedudukan(account: policy.Actor, day: dt.date) -> disposisi.Kedudukan:
    """``Plt.``/``Plh.`` when ``account`` decides by a delegation valid on ``day``; "" as the Kepala Dinas."""
    if str(account.role) == policy.KEPALA_DINAS:
        return ""
    for d in account.delegations:
        if d.valid_on(day) and d.kind in ("Plt.", "Plh."):
            return "Plt." if d.kind == "Plt." else "Plh."
    return ""


def _relative(files: DocumentFiles, reports: Path) -> dict[str, object]:
    record = files.to_json()
    for key in ("html", "pdf"):
        written = getattr(files, key)
        record[key] = {"path": str(written.path.relative_to(reports)), "sha256": written.sha256}
    return record


def record_with_sheet(
    store: ServedStore, ticket_id: str, move: Move, account: policy.Actor, reports: Path
) -> Ticket:
    """Record step 3 by ``account`` with the Lembar Disposisi the server writes now (see the module)."""
    now = dt.datetime.now(dt.UTC)
    ended = move.ended_at or now
    ticket = store.get(ticket_id)
    may_do(ticket, move, now=now, account=account)  # refused: nothing written
    decision = disposisi.Decision(
        outcome="approve" if move.outcome == "approve" else "defer",
        note=move.note,
        actor=account.display_name if policy.decides(account) else move.actor,
        at=ended,
        kedudukan=kedudukan(account, policy.local_day(ended)),
        ordinal=1 + sum(1 for e in ticket.events if e.step == DECISION_STEP),
    )
    doc = disposisi.build_disposisi(ticket, decision)
    existed = {p.name for p in (reports / doc.folder).glob(f"{doc.slug}.*")}
    written = write_document(doc, out=reports)
    record = _relative(written, reports) | {"nip": "", "kedudukan": decision.kedudukan}
    outputs = {**move.outputs, "disposisi": record}
    try:
        ticket = store.apply(
            ticket_id, move.model_copy(update={"outputs": outputs, "ended_at": ended}), account=account
        )
    except Exception:
        for f in (written.html, written.pdf):
            if f.path.name not in existed:
                f.path.unlink(missing_ok=True)
        raise
    logger.info(
        "%s: Lembar Disposisi %s written by the server for %s", ticket_id, doc.number, account.username
    )
    return ticket
