"""API tokens: one per client of an account (``spl_`` + 43 URL-safe characters), shown once.

A token is 32 random bytes from :mod:`secrets`: it cannot be guessed or brute-forced, so it is
stored as its plain SHA-256 digest (a slow, salted hash like the passwords' protects only
low-entropy secrets). The store looks a token up by its digest and compares the digests again
with :func:`hmac.compare_digest` (constant time). Tokens expire (90 days by default, at most 365)
and can be revoked; a revoked or expired token is refused, and so is every token of a disabled
account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sipelangi_net.accounts.models import AccountId, Text, When
from sipelangi_net.errors import ConfigError
from sipelangi_net.logs import register_secret

PREFIX = "spl_"
TOKEN_PATTERN = re.compile(r"^spl_[A-Za-z0-9_-]{43}$")
DEFAULT_DAYS = 90
MAX_DAYS = 365
DIGEST_PATTERN = r"^[0-9a-f]{64}$"


class TokenInfo(BaseModel):
    """What the store keeps of a token (never the token itself)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[int, Field(ge=1)]
    account_id: AccountId
    name: Text
    created_at: When
    expires_at: When
    last_used_at: When | None = None
    revoked_at: When | None = None

    def state(self, now: dt.datetime) -> Literal["active", "expired", "revoked"]:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: ``token`` is shown to its owner once and never stored."""

    token: str
    info: TokenInfo

    def __repr__(self) -> str:
        return f"IssuedToken(token='{PREFIX}…', info={self.info!r})"


def new_token() -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    register_secret(token)
    return token


def looks_like_token(text: str) -> bool:
    return TOKEN_PATTERN.fullmatch(text) is not None


def token_digest(token: str) -> str:
    """The SHA-256 (hex) of a token: what is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def matches(token: str, digest: str) -> bool:
    """Whether ``token`` is the one stored as ``digest``, compared in constant time."""
    return hmac.compare_digest(token_digest(token), digest)


def expiry(now: dt.datetime, days: int) -> dt.datetime:
    """When a token issued ``now`` for ``days`` expires; ConfigError outside 1..365 days."""
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days: {days}: a token lives 1 to {MAX_DAYS} days (default {DEFAULT_DAYS})")
    return now + dt.timedelta(days=days)
