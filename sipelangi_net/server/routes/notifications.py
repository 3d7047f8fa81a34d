"""The notification outbox: ``/api/v1/notifications``, one delivery attempt, retrying failed ones."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Query
from fastapi import Request as HttpRequest

from sipelangi_net.server.auth import Caller
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.models import (
    ApiErrorBody,
    Delivery,
    Instant,
    NotificationId,
    Retried,
    RetryFailed,
)
from sipelangi_net.server.routes import api_router
from sipelangi_net.server.store import ServedStore, run
from sipelangi_net.tickets.models import Notification, TicketId
from sipelangi_net.tickets.notify import record_closing_notice
from sipelangi_net.tickets.policy import PEMOHON
from sipelangi_net.tickets.store import TicketStore

logger = logging.getLogger(__name__)


async def staff_only(caller: Caller) -> None:  # async: no I/O
    """The outbox holds every OPD's mail: a pemohon may not read or work it (403)."""
    if str(caller.role) == PEMOHON:
        raise ApiError(
            403,
            "forbidden",
            "the notification outbox needs the service token or a Dinas account (not pemohon)",
        )


router = api_router()
router.dependencies.append(Depends(staff_only))


@router.get("/notifications", response_model=list[Notification], tags=["notifications"])
def list_notifications(
    request: HttpRequest,
    due: Annotated[Instant | None, Query(description="Only pending ones due by then.")] = None,
    ticket_id: Annotated[TicketId | None, Query(description="Only this ticket's.")] = None,
) -> list[Notification]:
    """The outbox: notifications not yet sent."""
    return run(request, lambda s: s.outbox(due=due, ticket_id=ticket_id))


@router.post(
    "/notifications/{notification_id}/delivery",
    response_model=Notification,
    tags=["notifications"],
    responses={404: {"model": ApiErrorBody, "description": "No such notification"}},
)
def record_delivery(request: HttpRequest, notification_id: NotificationId, body: Delivery) -> Notification:
    """Record one delivery attempt; failures are retried later with backoff. A closing notice
    delivered completes its ticket: the server records SOP step 12 itself, as the system (whoever
    reports the delivery), once."""

    def action(store: ServedStore) -> Notification:
        sent = store.record_delivery(notification_id, ok=body.ok, error=body.error)
        if body.ok and sent.kind == "closing":
            problem = record_closing_notice(store, sent)
            if problem:
                logger.warning("%s", problem)
        return sent

    return run(request, action, missing=f"notification {notification_id}: not found")


@router.post("/notifications/retry", response_model=Retried, tags=["notifications"])
def retry_failed(request: HttpRequest, body: RetryFailed) -> Retried:
    """Make failed notifications pending again; returns how many."""

    def action(store: TicketStore) -> int:
        retry = getattr(store, "retry_failed", None)
        if retry is None:
            raise ApiError(501, "unsupported", "this ticket store cannot retry notifications")
        count: int = retry(body.ticket_id)
        return count

    return Retried(retried=run(request, action))
