"""Accounts, delegations, API tokens and failed logins, in the ticket store's SQLite file.

The tables and their migrations are in :mod:`sipelangi_net.accounts.schema` (versioned apart
from the ticket store's). Writes use the ticket store's ``BEGIN IMMEDIATE`` transactions
(:func:`sipelangi_net.tickets.sqlite.immediate`); every row read back is validated by the frozen
models, and a row that does not parse is a StoreError naming the account.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sipelangi_net.accounts import passwords, schema
from sipelangi_net.accounts import tokens as api_tokens
from sipelangi_net.accounts.models import Account, AccountRole, Delegation
from sipelangi_net.errors import AccountError, AuthError, LoginThrottled, StoreError
from sipelangi_net.logs import register_secret
from sipelangi_net.tickets.sqlite import BUSY_TIMEOUT_MS, connect, immediate
from sipelangi_net.validate import printable

logger = logging.getLogger(__name__)

MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
KEEP_FAILURES = dt.timedelta(days=1)
TOUCH_EVERY = dt.timedelta(minutes=1)
"""A token's ``last_used_at`` is written at most this often (reads stay reads)."""

_ACCOUNT_COLUMNS = "id, username, display_name, role, opd, sites, disabled, local, created_at"
_TOKEN_COLUMNS = "id, account_id, name, created_at, expires_at, last_used_at, revoked_at"  # noqa: S105 - column names


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors(include_url=False, include_input=False)[0]
        return f"{'.'.join(printable(str(p)) for p in err['loc'])}: {err['msg']}"
    return printable(str(exc))[:200] or type(exc).__name__


class SqliteAccounts:
    """The accounts of one SiPelangi (the server's database, or a single engineer's)."""

    def __init__(
        self,
        path: Path,
        *,
        max_failures: int = MAX_FAILURES,
        failure_window: dt.timedelta = FAILURE_WINDOW,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = path
        self.max_failures = max_failures
        """Failed logins for one username within :attr:`failure_window` after which logins are refused."""
        self.failure_window = failure_window
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SqliteAccounts({str(self.path)!r})"

    # --- connection ---------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        return connect(self.path, self.busy_timeout_ms, self._migrate, what="the account tables")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if schema.current(conn):  # no write lock to open a store whose tables are up to date
            return
        with immediate(conn, where=f"{self.path}: "):
            schema.migrate(conn, where=str(self.path))

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with immediate(self.conn, where=f"{self.path}: ") as conn:
            yield conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- reading ------------------------------------------------------------------
    def _account(self, conn: sqlite3.Connection, row: Sequence[Any]) -> Account:
        """The account of a row (and its delegations); StoreError naming the account if it does not parse."""
        try:
            delegations = [
                Delegation(acting_as=r[0], kind=r[1], start=r[2], end=r[3], decree=r[4])
                for r in conn.execute(
                    "SELECT acting_as, kind, starts, ends, decree FROM account_delegations"
                    " WHERE account_id = ? ORDER BY id",
                    (row[0],),
                )
            ]
            return Account(
                id=row[0],
                username=row[1],
                display_name=row[2],
                role=row[3],
                opd=row[4],
                sites=json.loads(row[5]),
                disabled=_flag(row[6]),
                local=_flag(row[7]),
                created_at=row[8],
                delegations=tuple(delegations),
            )
        except (ValueError, TypeError, RecursionError) as exc:  # ValidationError is a ValueError
            raise StoreError(
                f"account {printable(str(row[1]))!r} (id {row[0]}): the stored record in {self.path}"
                f" is unreadable: {_why(exc)}; fix or disable it"
            ) from None

    def _row(self, conn: sqlite3.Connection, where: str, value: object) -> Sequence[Any] | None:
        row: Sequence[Any] | None = conn.execute(
            f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE {where} = ?",  # noqa: S608 - column names only
            (value,),
        ).fetchone()
        return row

    def get(self, account_id: int) -> Account:
        row = self._row(self.conn, "id", account_id)
        if row is None:
            raise AccountError(f"account id {account_id}: not found in {self.path}")
        return self._account(self.conn, row)

    def by_username(self, username: str) -> Account:
        row = self._row(self.conn, "username", username)
        if row is None:
            raise AccountError(
                f"account {printable(username)!r}: not found in {self.path}"
                " (see 'sipelangi-net user list'; an admin adds it with 'sipelangi-net user add')"
            )
        return self._account(self.conn, row)

    def list(self) -> list[Account]:
        """Every account, by username (an unreadable row is a StoreError naming it)."""
        rows = self.conn.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY username").fetchall()  # noqa: S608
        return [self._account(self.conn, r) for r in rows]

    def count(self, *, local: bool | None = None) -> int:
        """How many accounts; ``local``: only those made by single-engineer mode (True) or not (False)."""
        if local is None:
            return int(self.conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0])
        row = self.conn.execute("SELECT COUNT(*) FROM accounts WHERE local = ?", (int(local),)).fetchone()
        return int(row[0])

    # --- accounts -----------------------------------------------------------------
    def add(
        self,
        username: str,
        *,
        display_name: str,
        role: AccountRole,
        opd: str | None = None,
        sites: Sequence[str] = (),
        password: str | None = None,
        local: bool = False,
        now: dt.datetime | None = None,
    ) -> Account:
        """A new account (validated before anything is written); AccountError if the username is taken."""
        now = now or utcnow()
        draft = Account(
            id=1,
            username=username,
            display_name=display_name,
            role=role,
            opd=opd,
            sites=tuple(sites),
            local=local,
            created_at=now,
        )
        hashed = None
        if password is not None:
            hashed = passwords.hash_password(passwords.check_password(password, username=draft.username))
        with self._write() as conn:
            return self._insert(conn, draft, hashed, now)

    def _insert(
        self, conn: sqlite3.Connection, draft: Account, hashed: str | None, now: dt.datetime
    ) -> Account:
        if self._row(conn, "username", draft.username) is not None:
            raise AccountError(f"account {draft.username!r}: the username is taken in {self.path}")
        cur = conn.execute(
            "INSERT INTO accounts (username, display_name, role, opd, sites, local, created_at,"
            " password_hash, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                draft.username,
                draft.display_name,
                str(draft.role),
                draft.opd,
                json.dumps(list(draft.sites)),
                int(draft.local),
                _ts(draft.created_at),
                hashed,
                _ts(now) if hashed else None,
            ),
        )
        logger.info("%s: account %s added (%s)", self.path, draft.username, draft.role)
        return self.get(int(cur.lastrowid or 0))

    def ensure_local(self, username: str, *, display_name: str) -> Account:
        """Single-engineer mode: this machine's user's account, made (``local``, tim_kerja) on first use.

        Made only while the store has no account at all, in the same transaction that sees it
        empty (two first runs make one account). Once any account exists, a user without one is
        refused: an admin adds it. An account that exists is read without a write lock.
        """
        row = self._row(self.conn, "username", username)
        if row is not None:
            account = self._account(self.conn, row)
            if account.disabled:
                raise AuthError(f"account {account.username!r} is disabled in {self.path}")
            return account
        with self._write() as conn:
            row = self._row(conn, "username", username)
            if row is not None:
                account = self._account(conn, row)
            elif conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]:
                raise AuthError(
                    f"{self.path} has accounts but none for this machine's user {printable(username)!r};"
                    f" ask an admin: sipelangi-net user add {printable(username)} --role ROLE --name NAME"
                )
            else:
                now = utcnow()
                draft = Account(
                    id=1,
                    username=username,
                    display_name=display_name,
                    role=AccountRole.TIM_KERJA,
                    local=True,
                    created_at=now,
                )
                account = self._insert(conn, draft, None, now)
                logger.info(
                    "%s: single-engineer mode: local account %s (tim_kerja) made for this machine's user",
                    self.path,
                    username,
                )
        if account.disabled:
            raise AuthError(f"account {account.username!r} is disabled in {self.path}")
        return account

    def disable(self, username: str) -> Account:
        """Disable an account: its logins and every token are refused from now on (kept on record)."""
        with self._write():
            account = self.by_username(username)
            self.conn.execute("UPDATE accounts SET disabled = 1 WHERE id = ?", (account.id,))
        logger.info("%s: account %s disabled", self.path, account.username)
        return self.get(account.id)

    def set_password(self, username: str, password: str) -> None:
        account = self.by_username(username)
        hashed = passwords.hash_password(passwords.check_password(password, username=account.username))
        with self._write() as conn:
            conn.execute(
                "UPDATE accounts SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                (hashed, _ts(utcnow()), account.id),
            )
        logger.info("%s: %s changed the password", self.path, account.username)

    def add_delegation(self, username: str, delegation: Delegation) -> Account:
        """Record a delegation (Plt./Plh. of the Kepala Dinas) of an account."""
        with self._write() as conn:
            account = self.by_username(username)
            if account.role in (AccountRole.PEMOHON, AccountRole.KEPALA_DINAS):
                raise AccountError(
                    f"account {account.username!r} is a {account.role}: a delegation as Kepala Dinas is"
                    " given to an official of the Dinas (helpdesk, kepala_bidang, tim_kerja, admin)"
                )
            conn.execute(
                "INSERT INTO account_delegations (account_id, acting_as, kind, starts, ends, decree,"
                " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    account.id,
                    str(delegation.acting_as),
                    delegation.kind,
                    delegation.start.isoformat(),
                    delegation.end.isoformat(),
                    delegation.decree,
                    _ts(utcnow()),
                ),
            )
        logger.info(
            "%s: %s is %s Kepala Dinas from %s to %s (%s)",
            self.path,
            account.username,
            delegation.kind,
            delegation.start,
            delegation.end,
            delegation.decree,
        )
        return self.get(account.id)

    # --- passwords ----------------------------------------------------------------
    def failures(self, username: str, *, now: dt.datetime | None = None) -> int:
        """Failed logins for ``username`` within the failure window."""
        since = (now or utcnow()) - self.failure_window
        row = self.conn.execute(
            "SELECT COUNT(*) FROM login_failures WHERE username = ? AND at >= ?", (username[:64], _ts(since))
        ).fetchone()
        return int(row[0])

    def authenticate(
        self, username: str, password: str, *, source: str = "", now: dt.datetime | None = None
    ) -> Account:
        """The account whose password this is; AuthError otherwise (the same words whether the user
        exists or not), LoginThrottled after :attr:`max_failures` failures within the window."""
        register_secret(password)
        now = now or utcnow()
        key = username[:64]
        recent = self.failures(key, now=now)
        if recent >= self.max_failures:
            logger.warning("login of %s from %s refused: %d failures lately", key, source or "?", recent)
            minutes = int(self.failure_window.total_seconds() // 60)
            raise LoginThrottled(
                f"login of {printable(key)!r} refused: {recent} failed logins in the last {minutes} min;"
                " wait and try again, or ask an admin"
            )
        row = self.conn.execute(
            "SELECT id, password_hash FROM accounts WHERE username = ?", (username,)
        ).fetchone()
        verified = passwords.verify_password(row[1] if row else None, password)
        if not verified.ok:
            self._failed(key, source, now)
            raise AuthError(f"login of {printable(key)!r} refused: username or password wrong")
        account = self.get(int(row[0]))
        if account.disabled:
            self._failed(key, source, now)
            raise AuthError(f"login of {printable(key)!r} refused: the account is disabled")
        with self._write() as conn:
            conn.execute("DELETE FROM login_failures WHERE username = ?", (key,))
            if verified.rehash:
                conn.execute(
                    "UPDATE accounts SET password_hash = ? WHERE id = ?", (verified.rehash, account.id)
                )
        logger.info("login of %s from %s", account.username, source or "?")
        return account

    def _failed(self, key: str, source: str, now: dt.datetime) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO login_failures (username, at, source) VALUES (?, ?, ?)",
                (key, _ts(now), printable(source)[:100]),
            )
            conn.execute("DELETE FROM login_failures WHERE at < ?", (_ts(now - KEEP_FAILURES),))
        logger.warning("login of %s from %s refused", key, source or "?")

    # --- tokens -------------------------------------------------------------------
    def issue_token(
        self,
        username: str,
        *,
        name: str,
        days: int = api_tokens.DEFAULT_DAYS,
        now: dt.datetime | None = None,
    ) -> api_tokens.IssuedToken:
        """A new API token for the account (shown once: only its digest is stored)."""
        now = now or utcnow()
        expires = api_tokens.expiry(now, days)
        secret = api_tokens.new_token()
        with self._write() as conn:
            account = self.by_username(username)
            if account.disabled:
                raise AccountError(f"account {account.username!r} is disabled: it gets no token")
            draft = api_tokens.TokenInfo(
                id=1, account_id=account.id, name=name, created_at=now, expires_at=expires
            )
            cur = conn.execute(
                "INSERT INTO api_tokens (account_id, name, digest, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (account.id, draft.name, api_tokens.token_digest(secret), _ts(now), _ts(expires)),
            )
            info = self._token_info(int(cur.lastrowid or 0))
        logger.info(
            "%s: %s got a new API token, #%d (%s), until %s", self.path, username, info.id, info.name, expires
        )
        return api_tokens.IssuedToken(token=secret, info=info)

    def _token_info(self, token_id: int) -> api_tokens.TokenInfo:
        row = self.conn.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE id = ?",  # noqa: S608 - column names only
            (token_id,),
        ).fetchone()
        if row is None:
            raise AccountError(f"token {token_id}: not found in {self.path}")
        return self._parse_token(row)

    def _parse_token(self, row: Sequence[Any]) -> api_tokens.TokenInfo:
        try:
            return api_tokens.TokenInfo(
                id=row[0],
                account_id=row[1],
                name=row[2],
                created_at=row[3],
                expires_at=row[4],
                last_used_at=row[5],
                revoked_at=row[6],
            )
        except (ValueError, TypeError) as exc:
            raise StoreError(
                f"token {row[0]} of account id {row[1]}: the stored record in {self.path} is unreadable:"
                f" {_why(exc)}; revoke it"
            ) from None

    def tokens(self, username: str) -> builtins.list[api_tokens.TokenInfo]:
        account = self.by_username(username)
        rows = self.conn.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE account_id = ? ORDER BY id",  # noqa: S608
            (account.id,),
        ).fetchall()
        return [self._parse_token(r) for r in rows]

    def revoke_token(self, username: str, token_id: int) -> api_tokens.TokenInfo:
        """Revoke one of the account's tokens (revoking it again changes nothing)."""
        with self._write() as conn:
            account = self.by_username(username)
            info = self._token_info(token_id)
            if info.account_id != account.id:
                raise AccountError(f"token {token_id}: not a token of {account.username!r}")
            conn.execute(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                (_ts(utcnow()), token_id),
            )
        logger.info("%s: #%d of %s revoked (API token)", self.path, token_id, account.username)
        return self._token_info(token_id)

    def token_of(self, token: str) -> api_tokens.TokenInfo:
        """What is kept of ``token`` (whatever its state); AuthError for a token never issued here."""
        register_secret(token)
        if not api_tokens.looks_like_token(token):
            raise AuthError(f"token refused: not a SiPelangi API token ({api_tokens.PREFIX}...)")
        row = self.conn.execute(
            f"SELECT {_TOKEN_COLUMNS}, digest FROM api_tokens WHERE digest = ?",  # noqa: S608
            (api_tokens.token_digest(token),),
        ).fetchone()
        if row is None or not api_tokens.matches(token, str(row[7])):
            raise AuthError("token refused: unknown token; log in again (sipelangi-net login)")
        return self._parse_token(row)

    def authenticate_token(
        self,
        token: str,
        *,
        now: dt.datetime | None = None,
        touch: Callable[[int, dt.datetime], None] | None = None,
    ) -> Account:
        """The account of an active token; AuthError for an unknown, expired or revoked token and for
        every token of a disabled account.

        The token's ``last_used_at`` is written here (at most every :data:`TOUCH_EVERY`), or, with
        ``touch``, handed to it (token id, time) to be written later: a server resolves tokens in its
        event loop and writes their last use from a thread (:meth:`touch_tokens`).
        """
        now = now or utcnow()
        info = self.token_of(token)
        state = info.state(now)
        if state != "active":
            when = info.revoked_at if state == "revoked" else info.expires_at
            raise AuthError(f"token {info.id} refused: {state} on {when:%Y-%m-%d %H:%M} UTC; log in again")
        account = self.get(info.account_id)
        if account.disabled:
            raise AuthError(f"token {info.id} refused: account {account.username!r} is disabled")
        if info.last_used_at is None or now - info.last_used_at >= TOUCH_EVERY:
            if touch is not None:
                touch(info.id, now)
            else:
                self.touch_tokens({info.id: now})
        return account

    def touch_tokens(self, used: Mapping[int, dt.datetime]) -> None:
        """Write the tokens' last use (token id -> when), in one transaction; never moves one back."""
        if not used:
            return
        with self._write() as conn:
            conn.executemany(
                "UPDATE api_tokens SET last_used_at = ? WHERE id = ?"
                " AND (last_used_at IS NULL OR last_used_at < ?)",
                [(_ts(at), token_id, _ts(at)) for token_id, at in used.items()],
            )


def _flag(value: object) -> bool:
    if value not in (0, 1):
        raise ValueError(f"a flag is 0 or 1, not {printable(repr(value))[:20]}")
    return value == 1
