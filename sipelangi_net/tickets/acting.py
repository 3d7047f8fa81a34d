"""A ticket store bound to the account that acts: every write carries it, reads are unchanged.

The identity is chosen once, at the edge (the CLI: ``sipelangi_net/cli/identity.py``), and the
stages below write through the store they are given (``st.apply(...)``, ``st.create(...)``),
so none of them names an account: :class:`Acting` passes ``account=`` to the store's ``apply``
and ``create``, where the workflow's policy decides (``sipelangi_net/tickets/policy.py``).

Only a store that records accounts itself (the local :class:`SqliteStore`) is bound. An HTTP
store is not: the server decides who acts from the caller's token, and the client sends nothing
else (:func:`as_system` leaves it as it is too); where a stage needs to know who it is before
the step is recorded (a pre-check before device work, the name on the Lembar Disposisi),
:func:`bound_account` asks the server (``GET /auth/me``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sipelangi_net.tickets.http import HttpStore
from sipelangi_net.tickets.models import Move, Notification, Request, Ticket
from sipelangi_net.tickets.policy import SYSTEM, Actor, decides
from sipelangi_net.tickets.sqlite import SqliteStore
from sipelangi_net.tickets.store import TicketStore


class Acting:
    """``store``, its writes done by ``account`` (an account, or how to find it at the first write).

    A callable is called once, at the first ``apply`` or ``create``, so a command that only
    reads never looks for (or makes) an account. Everything else is forwarded to ``store``,
    also what the protocol does not name (``audit``, ``retry_failed``, ``skipped``, ...).
    """

    def __init__(self, store: SqliteStore, account: Actor | Callable[[], Actor]) -> None:
        self.inner = store
        self._find: Callable[[], Actor] | None = account if callable(account) else None
        self._account: Actor | None = None if callable(account) else account

    def __repr__(self) -> str:
        return f"Acting({self.inner!r})"

    @property
    def account(self) -> Actor:
        """The account the writes carry (found now if it was not yet)."""
        if self._account is None:
            assert self._find is not None  # one of the two is set by __init__
            self._account = self._find()
        return self._account

    # --- writes: with the account ---------------------------------------------------------
    def create(self, request: Request, *, helpdesk: str) -> Ticket:
        return self.inner.create(request, helpdesk=helpdesk, account=self.account)

    def apply(self, ticket_id: str, move: Move) -> Ticket:
        return self.inner.apply(ticket_id, move, account=self.account)

    # --- the rest: as the store does it ---------------------------------------------------
    def get(self, ticket_id: str) -> Ticket:
        return self.inner.get(ticket_id)

    def tickets(
        self, *, status: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Ticket]:
        return self.inner.tickets(status=status, since=since, until=until)

    def outbox(self, *, due: dt.datetime | None = None, ticket_id: str | None = None) -> list[Notification]:
        return self.inner.outbox(due=due, ticket_id=ticket_id)

    def record_delivery(self, notification_id: int, *, ok: bool, error: str = "") -> Notification:
        return self.inner.record_delivery(notification_id, ok=ok, error=error)

    def ready_to_write(self, *, wait: float) -> None:
        self.inner.ready_to_write(wait=wait)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("inner", "_find", "_account"):
            raise AttributeError(name)
        return getattr(self.inner, name)


def bound_account(store: TicketStore) -> Actor | None:
    """The account ``store``'s writes carry (found now if not yet); None for a store not bound.

    What a stage passes to ``workflow.may_do`` so that a step the account may not do is refused
    before any device is touched, not when the outcome is recorded. For a server's store, the
    account the server says its token is (``GET /auth/me``, asked once): the server decides again
    when the step is recorded.
    """
    if isinstance(store, Acting):
        return store.account
    if isinstance(store, HttpStore):
        return store.me().actor()
    return None


def recorded_actor(store: TicketStore, typed: str) -> str:
    """The actor an event of ``store`` will record: the bound account's display name when the policy
    decides its moves, else the name typed in (single-engineer mode, no account). What a document
    written before the step is recorded names (the Lembar Disposisi's Kepala Dinas)."""
    account = bound_account(store)
    return account.display_name if account is not None and decides(account) else typed


def unwrapped(store: TicketStore) -> TicketStore:
    """The store under an :class:`Acting` one (for what is no ticket move: compliance's faults)."""
    return store.inner if isinstance(store, Acting) else store


def as_system(store: TicketStore) -> TicketStore:
    """``store`` writing as SiPelangi itself (:data:`~sipelangi_net.tickets.policy.SYSTEM`): a local
    store, bound or not, records step 12 (the closing notice delivered) with the system's stamp;
    an HTTP store is left as it is (the server decides)."""
    inner = unwrapped(store)
    return Acting(inner, SYSTEM) if isinstance(inner, SqliteStore) else store
