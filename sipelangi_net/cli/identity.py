"""Who the CLI is when it writes: chosen once, when a command opens the ticket store.

- **A local SQLite store without accounts** (or with single-engineer mode's ``local`` ones
  only): single-engineer mode. The moves are the machine user's local account's
  (``sipelangi_net.accounts.local``), made at the first write, never by a command that only
  reads. It may record every step (``policy.single_engineer``); the typed-in names
  (``--actor``, ``--helpdesk``) stay the recorded actors, the stamp says ``local``.
- **A local SQLite store with accounts** (an admin ran ``sipelangi-net user add``): the
  account of ``SIPELANGI_TOKEN`` (a token from ``sipelangi-net user token USERNAME``); without
  one a write is refused (AuthError, exit 6) saying how to get one. The policy decides each
  step, and the event records the account's display name as the actor.
- **A server** (``--store URL``): nothing is bound here; the server decides from the token the
  client sends (``SIPELANGI_TOKEN``, or the one ``sipelangi-net login`` saved).

A ``SIPELANGI_TOKEN`` given for a local store is always checked: a wrong, expired or revoked
token, or one of a disabled account, is refused, also in single-engineer mode.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sipelangi_net.accounts.local import bindable, local_account
from sipelangi_net.accounts.models import Account
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.errors import AuthError
from sipelangi_net.tickets.acting import Acting
from sipelangi_net.tickets.sqlite import SqliteStore
from sipelangi_net.tickets.store import TicketStore

log = logging.getLogger(__name__)
TOKEN_ENV = "SIPELANGI_TOKEN"  # noqa: S105 - the variable's name, not a token


def _token_needed(path: Path) -> AuthError:
    return AuthError(
        f"{path} has accounts: each step is recorded by the account that does it; set {TOKEN_ENV}"
        f" to your API token (an admin prints one with 'sipelangi-net user token USERNAME --db {path}')"
    )


def account_of(
    accounts: SqliteAccounts, *, token: str | None, user: tuple[str, str] | None = None
) -> Account:
    """Who acts on the store of ``accounts``: the token's account, else single-engineer mode's
    local account while the store has no other accounts (made now if needed); AuthError if none.

    ``user``: this machine's (login name, full name), by default read from the system.
    """
    if token:
        account = bindable(accounts, accounts.authenticate_token(token))
    elif accounts.count(local=False):
        raise _token_needed(accounts.path)
    else:
        account = local_account(accounts, user=user)
        if not account.local or accounts.count(local=False):  # an admin added accounts meanwhile
            raise _token_needed(accounts.path)
    log.info(
        "%s: acting as %s (%s%s)",
        accounts.path,
        account.username,
        account.role,
        ", local" if account.local else "",
    )
    return account


def whoami(path: Path, *, token: str | None, user: tuple[str, str] | None = None) -> Account:
    """:func:`account_of` the ticket database at ``path`` (its account tables opened and closed)."""
    accounts = SqliteAccounts(path)
    try:
        return account_of(accounts, token=token, user=user)
    finally:
        accounts.close()


def acting(
    store: TicketStore, *, token: str | None = None, user: tuple[str, str] | None = None
) -> TicketStore:
    """``store`` as the CLI's commands use it: a local store bound to who the CLI is (found at the
    first write); a server's store as it is (the server binds the account of its token).

    ``token``: default ``SIPELANGI_TOKEN``, read now.
    """
    if not isinstance(store, SqliteStore):
        return store
    given = token if token is not None else os.environ.get(TOKEN_ENV) or None
    return Acting(store, lambda: _bind(store, token=given, user=user))


def _bind(store: SqliteStore, *, token: str | None, user: tuple[str, str] | None) -> Account:
    """Who acts, found at the store's first write; a store that cannot be written now is named first
    (finding the account may write: the account tables, the local account, a token's last use)."""
    from sipelangi_net.change.install import store_wait

    store.ready_to_write(wait=store_wait())
    return whoami(store.path, token=token, user=user)
