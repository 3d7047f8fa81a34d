"""Cursors of the paged ticket list: the last id a page covered, bound to its filters and signed.

A cursor is ``<payload>.<mac>``, both base64url: the payload is JSON
``{"after": "<ticket id>", "q": "<digest of the filters>"}`` and the mac an
HMAC-SHA256 of it under a key the server makes when it starts. The server
refuses (422) a cursor it did not issue, one that was edited, and one used
with other filters than the page that issued it (which would silently skip
or repeat tickets). The key lives in memory, so a cursor outlives neither a
restart of the server nor one process of several; the client then starts
again from the first page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping

from sipelangi_net.server.errors import ApiError
from sipelangi_net.tickets.listing import TicketQuery

MAC_BYTES = 16
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{1,100}$"
_TICKET_ID = re.compile(r"SPL-\d{4}-\d{5}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _filters(query: TicketQuery) -> dict[str, object]:
    """The filters of ``query`` (times in UTC, so equal instants agree)."""
    return {
        "status": query.status,
        "site": query.site,
        "opd": query.opd,
        "sites": list(query.sites),
        "since": query.since and query.since.timestamp(),
        "until": query.until and query.until.timestamp(),
        "updated_since": query.updated_since and query.updated_since.timestamp(),
    }


def _digest(filters: Mapping[str, object]) -> str:
    """The filters, as a short digest."""
    text = json.dumps(filters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:MAC_BYTES]


def encode_cursor(key: bytes, *, after: str, query: TicketQuery) -> str:
    """The cursor of the page after the ticket ``after`` for ``query``."""
    return encode_after(key, after=after, filters=_filters(query))


def encode_after(key: bytes, *, after: str, filters: Mapping[str, object]) -> str:
    """The cursor of the page after the item ``after`` of a list with ``filters`` (JSON values)."""
    payload = json.dumps({"after": after, "q": _digest(filters)}, separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def _invalid(why: str) -> ApiError:
    return ApiError(
        422, "invalid", f"query parameter cursor: {why}; start again from the first page (no cursor)"
    )


def decode_cursor(key: bytes, cursor: str, *, query: TicketQuery) -> str:
    """The ticket id ``cursor`` continues after; 422 when it was not issued here for ``query``."""
    return decode_after(key, cursor, filters=_filters(query), item=_TICKET_ID)


def decode_after(key: bytes, cursor: str, *, filters: Mapping[str, object], item: re.Pattern[str]) -> str:
    """The item (matching ``item``) ``cursor`` continues after; 422 unless issued here for ``filters``."""
    head, _, tail = cursor.partition(".")
    try:
        payload, mac = _unb64(head), _unb64(tail)
    except (binascii.Error, ValueError):
        raise _invalid("not a cursor this server issued") from None
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise _invalid("not a cursor this server issued (edited, or from before a restart)")
    data = json.loads(payload)
    if data.get("q") != _digest(filters):
        raise _invalid("issued for other filters than this request's")
    after = data.get("after")
    if not isinstance(after, str) or not item.fullmatch(after):  # only if the key leaked
        raise _invalid("not a cursor this server issued")
    return after
