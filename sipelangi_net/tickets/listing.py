"""One page of a ticket list: the filters, and what a page holds (the store's side of ``GET /tickets``).

Pages are keyset-paginated on the ticket id: a page is the first ``limit``
tickets whose id is greater than ``after``, in id order. Ids are handed out in
increasing order (``SPL-YYYY-NNNNN``, zero-padded), so id order is creation
order; a ticket opened while a client pages through the list lands after
everything it has seen, and no ticket is repeated or skipped, which an offset
would not guarantee (each insert before the offset shifts it). The query walks
an index from ``after`` onwards, so a late page costs what the first one does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Skipped


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketQuery:
    """Which tickets to list; every given filter must hold."""

    status: str | None = None
    site: str | None = None
    """The request's site key (``inventory/sites.yaml``)."""
    opd: str | None = None
    """The requesting OPD, exactly as on the request."""
    sites: tuple[str, ...] = ()
    """Any of these sites (a pemohon's: their OPD's sites; whatever case the request wrote the OPD in)."""
    since: dt.datetime | None = None
    """Created at or after."""
    until: dt.datetime | None = None
    """Created before."""
    updated_since: dt.datetime | None = None
    """Last recorded to (an event appended by the store) at or after."""


@dataclass(frozen=True, slots=True)
class TicketPage:
    """Up to ``limit`` tickets in id order, and where the next page starts."""

    tickets: tuple[Ticket, ...]
    after: str | None
    """The last id this page covered when more may follow (the next page's ``after``); None at the end."""
    skipped: tuple[Skipped, ...] = ()
    """Tickets of this page left out because their stored record is unreadable."""


MIGRATION = """
    ALTER TABLE tickets ADD COLUMN updated_at TEXT;
    UPDATE tickets SET updated_at = COALESCE(
        (SELECT MAX(ended_at) FROM events WHERE events.ticket_id = tickets.id), created_at);
    CREATE TRIGGER tickets_updated_at AFTER INSERT ON events BEGIN
        UPDATE tickets SET updated_at = strftime('%Y-%m-%dT%H:%M:%f999+00:00', 'now')
        WHERE id = NEW.ticket_id;
    END;
    CREATE INDEX tickets_status_id ON tickets (status, id);
    CREATE INDEX tickets_site_id ON tickets (json_extract(request, '$.site'), id);
    CREATE INDEX tickets_opd_id ON tickets (json_extract(request, '$.opd'), id);
    CREATE INDEX tickets_updated_at ON tickets (updated_at);
    """
"""Schema version 4: when a ticket was last recorded to (set by a trigger on every event, in UTC in the
stored times' format; SQLite's clock has milliseconds, so it is rounded up to the end of its
millisecond: ``updated_since`` may include a ticket recorded up to 1 ms before, never miss one), and
the indexes the filters walk in id order."""


def _utc(value: dt.datetime) -> str:
    """A time as the store writes it (UTC, microseconds); a naive time is local time."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def page_sql(
    query: TicketQuery, *, after: str | None, limit: int, newest: bool = False
) -> tuple[str, list[object]]:
    """The ids of one page (``limit`` of them) in id order, as SQL and its arguments; ``newest``: in
    reverse id order (newest first; ``after`` is then the id the page goes below)."""
    where: list[str] = []
    args: list[object] = []
    for clause, value in (
        ("id < ?" if newest else "id > ?", after),
        ("status = ?", query.status),
        ("json_extract(request, '$.site') = ?", query.site),
        ("json_extract(request, '$.opd') = ?", query.opd),
        ("created_at >= ?", query.since and _utc(query.since)),
        ("created_at < ?", query.until and _utc(query.until)),
        ("updated_at >= ?", query.updated_since and _utc(query.updated_since)),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    if query.sites:
        where.append(f"json_extract(request, '$.site') IN ({', '.join('?' * len(query.sites))})")
        args.extend(query.sites)
    sql = "SELECT id FROM tickets" + (" WHERE " + " AND ".join(where) if where else "")  # noqa: S608 - constant clauses
    return sql + (" ORDER BY id DESC" if newest else " ORDER BY id") + " LIMIT ?", [*args, limit]
