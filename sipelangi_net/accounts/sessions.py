"""The pages' sessions: a random id in an HttpOnly cookie, only its SHA-256 kept, with the account,
the expiry and the CSRF secret of the session's forms (table ``web_sessions``, accounts schema 2).

A session lasts :data:`SESSION_HOURS` (the cookie ends with the browser); an official who ticks
"ingat perangkat ini" keeps it :data:`REMEMBER_DAYS` on that device (the Kepala Dinas opening a
disposition mail on a phone). A pemohon's session is never remembered: their office computers are
shared. A disabled account's sessions are refused; logging out deletes the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
from dataclasses import dataclass

from sipelangi_net.accounts.models import Account, AccountRole
from sipelangi_net.accounts.store import SqliteAccounts, utcnow
from sipelangi_net.errors import AccountError
from sipelangi_net.tickets.sqlite import immediate

logger = logging.getLogger(__name__)

SESSION_HOURS = 8
REMEMBER_DAYS = 30
REMEMBERED_ROLES = frozenset(
    {AccountRole.HELPDESK, AccountRole.KEPALA_DINAS, AccountRole.KEPALA_BIDANG, AccountRole.TIM_KERJA}
)
"""The officials whose session may be remembered on their device (not a pemohon, not an admin)."""
_ID_BYTES = 32


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live session: whose it is, until when, and the secret its forms carry."""

    account: Account
    csrf: str
    expires_at: dt.datetime
    remembered: bool

    def csrf_ok(self, token: str | None) -> bool:
        """Whether a form's token is this session's (constant-time)."""
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())


class WebSessions:
    """Password logins and the sessions of the pages, over the accounts (one connection, locked)."""

    def __init__(self, accounts: SqliteAccounts) -> None:
        self.accounts = accounts
        self._lock = threading.Lock()

    def login(
        self, username: str, password: str, *, remember: bool, source: str, now: dt.datetime | None = None
    ) -> tuple[str, WebSession]:
        """A new session for the account of this password (the cookie's id, shown once, and the
        session); AuthError or LoginThrottled as :meth:`SqliteAccounts.authenticate` raises them."""
        now = now or utcnow()
        with self._lock:
            account = self.accounts.authenticate(username, password, source=source, now=now)
            remembered = remember and account.role in REMEMBERED_ROLES
            life = dt.timedelta(days=REMEMBER_DAYS) if remembered else dt.timedelta(hours=SESSION_HOURS)
            session_id, csrf = secrets.token_urlsafe(_ID_BYTES), secrets.token_urlsafe(_ID_BYTES)
            with immediate(self.accounts.conn, where=f"{self.accounts.path}: ") as conn:
                conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (_ts(now),))
                conn.execute(
                    "INSERT INTO web_sessions (account_id, digest, csrf, remember, created_at, expires_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (account.id, _digest(session_id), csrf, int(remembered), _ts(now), _ts(now + life)),
                )
        logger.info("page session of %s from %s (remembered: %s)", account.username, source, remembered)
        return session_id, WebSession(account, csrf, now + life, remembered)

    def resolve(self, session_id: str | None, *, now: dt.datetime | None = None) -> WebSession | None:
        """The live session of a cookie's id; ``None`` when unknown, expired or the account disabled."""
        if not session_id or len(session_id) > 100:
            return None
        now = now or utcnow()
        with self._lock:
            row = self.accounts.conn.execute(
                "SELECT account_id, csrf, remember, expires_at FROM web_sessions WHERE digest = ?",
                (_digest(session_id),),
            ).fetchone()
            if row is None:
                return None
            expires = dt.datetime.fromisoformat(row[3])
            if expires <= now:
                return None
            try:
                account = self.accounts.get(int(row[0]))
            except AccountError:
                return None
        if account.disabled:
            return None
        return WebSession(account, str(row[1]), expires, bool(row[2]))

    def logout(self, session_id: str | None) -> None:
        """End the session of a cookie's id (nothing when there is none)."""
        if not session_id:
            return
        with self._lock, immediate(self.accounts.conn, where=f"{self.accounts.path}: ") as conn:
            conn.execute("DELETE FROM web_sessions WHERE digest = ?", (_digest(session_id),))

    def close(self) -> None:
        with self._lock:
            self.accounts.close()
