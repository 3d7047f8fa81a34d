"""Shared request data for the ticket tests."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from typing import Any

from sipelangi_net.tickets.models import Move, Notification, Request

REQUEST: dict[str, Any] = {
    "opd": "Dinas Kesehatan (Dinkes)",
    "site": "dinkes",
    "pic": {
        "name": "Budi Santoso",
        "phone": "+62 812 7100 1234",
        "email": "budi@dinkes.pangkalpinangkota.go.id",
    },
    "users": 40,
    "applications": ["simpeg", "eoffice"],
    "letter": {"number": "005/123/DINKES/2026", "date": "2026-11-20"},
    "notes": "Ruang pelayanan lantai 1",
}


def raw_request(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(REQUEST)
    data.update(changes)
    return data


def request(**changes: Any) -> Request:
    return Request.model_validate(raw_request(**changes))


AUDIT_ANCHORS = ("SIPELANGI_AUDIT_KEY", "SIPELANGI_CHECKPOINTS", "SIPELANGI_REPORTS")
"""Kept in the environment of a CLI run by a test: its own audit key, checkpoint file and reports
folder (conftest)."""


def cli_env() -> dict[str, str]:
    """The environment for a CLI run by a test: no SIPELANGI_* setting but the test's audit anchors."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_") or k in AUDIT_ANCHORS}


SCHEDULE_AND_CLOSING = ("schedule", "closing")
"""The PIC's messages of a ticket that is approved at once (steps 6 and 11); step 2 also queues one
to the Kepala Dinas and step 10 one to the Kepala Bidang (tickets.messages.MESSAGES)."""


def only(
    notifications: Iterable[Notification], kinds: tuple[str, ...] = SCHEDULE_AND_CLOSING
) -> list[Notification]:
    """The notifications of ``kinds`` (default: the PIC's schedule and closing messages)."""
    return [n for n in notifications if n.kind in kinds]


def valid(move: Move, ticket_id: str) -> Move:
    """``move`` with the outputs its step's schema needs when it has none (a real plan, a deploy
    report, a bandwidth test, a signed handover...: what the step's command records)."""
    if move.outputs:
        return move
    from test_documents_data import outputs_for

    return move.model_copy(update={"outputs": outputs_for(move.step, ticket_id, move.outcome)})


def scheduled(st: Any) -> str:
    """A new ticket in ``st`` with its plan made and slot agreed (steps 1-6): ready for step 7."""
    from sipelangi_net.tickets.models import Move

    tid = str(st.create(request(), helpdesk="Helpdesk").id)
    st.apply(tid, Move(step=3, actor="Kepala Dinas", outcome="approve"))
    for step in (4, 5, 6):
        st.apply(tid, valid(Move(step=step, actor="Andi"), tid))
    return tid
