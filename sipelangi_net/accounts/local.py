"""Single-engineer mode: this machine's user acting on a local SQLite store.

An engineer working alone keeps the tickets in a local SQLite file (no server). Their moves
are still done by an account: the account whose username is this machine's login name.

- The store has no account yet: the first use makes one, ``local`` and ``tim_kerja``, named
  after the login name (and the user's full name from the password database when it is a
  valid name). It is recorded as local, so the record says it was not made by an admin.
- The store has accounts (an admin added people with ``sipelangi-net user add``): the login
  name must be one of them, else the move is refused (AuthError) naming what to run. (The
  CLI asks only while the store has no accounts but local ones: with real accounts it acts
  as the account of ``SIPELANGI_TOKEN``, see ``sipelangi_net/cli/identity.py``.)
- A disabled account is refused.

A local account may record every SOP step (``tickets.policy.single_engineer``), so it is
bound to a store only while the store has no other accounts (:func:`bindable`).

A store made before accounts existed gains the account tables on first open (nothing else
changes), and so enters single-engineer mode on its next move.
"""

from __future__ import annotations

import getpass
import os

from sipelangi_net.accounts.models import USERNAME_PATTERN, Account
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.errors import AuthError
from sipelangi_net.validate import printable, unsafe_character


def machine_user() -> tuple[str, str]:
    """This machine's login name and the person's name (GECOS full name, else the login name)."""
    try:
        username = getpass.getuser()
    except (ImportError, OSError, KeyError, AttributeError):  # no login name in the environment (Windows)
        raise AuthError(
            "cannot tell this machine's login name: set USERNAME (Windows) or USER, or act as an"
            " account with SIPELANGI_TOKEN"
        ) from None
    name = username
    try:
        import pwd

        gecos = pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError):
        gecos = ""
    if gecos and len(gecos) <= 120 and unsafe_character(gecos) is None:
        name = gecos
    return username, name


def local_account(accounts: SqliteAccounts, *, user: tuple[str, str] | None = None) -> Account:
    """The account this machine's user acts as on a local store (made on first use: see above)."""
    import re

    username, name = user or machine_user()
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise AuthError(
            f"this machine's login name {printable(username)!r} is not a valid account name"
            " (lower-case letters, digits, . _ -); add an account with 'sipelangi-net user add'"
            " and act as it on a SiPelangi server"
        )
    return accounts.ensure_local(username, display_name=name)


def bindable(accounts: SqliteAccounts, account: Account) -> Account:
    """``account`` if it may act on this store now; AuthError for a local account once others exist.

    A local account may record every SOP step (``sipelangi_net.tickets.policy.single_engineer``),
    so it is bound to a store only while the store has no accounts but local ones: after an admin
    added people, each acts as their own account (a token), and the local one no more. Asked by
    whoever binds an account to a store (the CLI, a server), right before it binds.
    """
    if account.local and accounts.count(local=False):
        raise AuthError(
            f"account {account.username!r} was made by single-engineer mode, and {accounts.path} has"
            " accounts now: act as your own account (SIPELANGI_TOKEN with a token from"
            " 'sipelangi-net user token USERNAME', or 'sipelangi-net login URL' on a server)"
        )
    return account
