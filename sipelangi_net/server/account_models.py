"""The bodies of the account endpoints (``/api/v1/accounts``, ``/api/v1/auth/me``).

The accounts themselves travel as :class:`~sipelangi_net.accounts.models.Account` and
:class:`~sipelangi_net.accounts.models.Delegation`, the frozen models the store validates with,
so what the server answers is what its database holds (never a password hash or a token digest).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sipelangi_net.accounts.models import AccountRole, DisplayName, Text, Username
from sipelangi_net.accounts.tokens import DEFAULT_DAYS, MAX_DAYS, TokenInfo


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NewAccount(_Body):
    """An account to add (admin only). A pemohon names their OPD; the server binds the OPD's sites."""

    username: Username
    display_name: DisplayName
    role: AccountRole
    opd: Annotated[str, Field(min_length=1, max_length=150)] | None = Field(
        default=None,
        description="pemohon only: the OPD's name in the server's sites.yaml (any case), or a site key.",
    )
    password: Annotated[str, Field(min_length=1, max_length=1024)] | None = Field(
        default=None, description="Optional: without one, only API tokens log the account in."
    )


class NewPassword(_Body):
    password: str = Field(min_length=1, max_length=1024)


class NewToken(_Body):
    """An API token to issue for an account (admin only); shown once in the answer."""

    name: Text = Field(default="api", description="What the token is for (e.g. budi@laptop).")
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="Days until it expires.")


class TokenRow(_Body):
    """A token as listed: what is kept of it (never the token) and its state now."""

    id: int
    account_id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    state: Literal["active", "expired", "revoked"]

    @classmethod
    def of(cls, info: TokenInfo, now: dt.datetime) -> TokenRow:
        return cls(**info.model_dump(), state=info.state(now))


class IssuedAccountToken(_Body):
    """A new API token: ``token`` is shown this once; only its digest is kept."""

    token: str
    info: TokenRow
