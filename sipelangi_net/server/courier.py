"""The server's own outbox worker: what the SOP steps queued is delivered without anyone running a command.

Every ``every`` seconds a thread of the server sends the notifications due
(:func:`~sipelangi_net.tickets.notify.deliver_due_from`) through the channels
configured in the server's environment (``SIPELANGI_SMTP_*``,
``SIPELANGI_WEBHOOK_URL``), holding the store only to read the outbox and to
record each attempt. A closing notice delivered records SOP step 12 as the
system, as ``sipelangi-net ticket notify`` does (step 12 is recorded once; do
not also run that command on a schedule against this server, or a notification
read as due by both would be sent twice). A round that
fails is logged and the next round tries again: the worker never stops the
server, and the server's shutdown stops it between rounds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sipelangi_net.tickets.notify import Transport, deliver_due_from
from sipelangi_net.tickets.store import TicketStore

logger = logging.getLogger(__name__)

DEFAULT_EVERY_S = 30.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """The channels the server delivers through, and how often it looks at the outbox."""

    transports: Mapping[str, Transport]
    every: float = DEFAULT_EVERY_S


class Courier:
    """A daemon thread working the outbox of the store ``opened`` gives."""

    def __init__(self, opened: Callable[[], AbstractContextManager[TicketStore]], delivery: Delivery) -> None:
        self._opened = opened
        self._delivery = delivery
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sipelangi-courier", daemon=True)

    def start(self) -> None:
        channels = ", ".join(sorted(self._delivery.transports))
        logger.info("delivering the notification outbox every %g s by %s", self._delivery.every, channels)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the round in progress, if any (a send is bounded by its transport's timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def round(self) -> None:
        """One pass over the outbox; its failures are logged, never raised."""
        try:
            report = deliver_due_from(self._opened, self._delivery.transports)
        except Exception:  # the store or a transport broke in a way deliver_due did not expect
            logger.exception("notification outbox: the delivery round failed; trying again next round")
            return
        if report.sent or report.failed:
            logger.info("notification outbox: %d sent, %d failed", report.sent, report.failed)

    def _run(self) -> None:
        while not self._stop.wait(self._delivery.every):
            self.round()
