"""Shared request data for the ticket tests."""

from __future__ import annotations

import copy
from typing import Any

from sipelangi_net.tickets.models import Request

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


AUDIT_ANCHORS = ("SIPELANGI_AUDIT_KEY", "SIPELANGI_CHECKPOINTS")
"""Kept in the environment of a CLI run by a test: its own audit key and checkpoint file (conftest)."""
