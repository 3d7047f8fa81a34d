"""Accounts of the people of the SOP: who they are, their role, their OPD, their delegations.

Frozen values, validated both ways: what the store writes and what it reads back go through
the same models, so a hostile or damaged row is refused naming the account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from sipelangi_net.errors import AccountError
from sipelangi_net.tickets.policy import SYSTEM, SystemAccount
from sipelangi_net.tickets.sop import Role
from sipelangi_net.validate import safe_text


class AccountRole(StrEnum):
    """The roles an account may hold (the SOP's five, and ``admin`` who manages accounts)."""

    PEMOHON = "pemohon"
    HELPDESK = "helpdesk"
    KEPALA_DINAS = "kepala_dinas"
    KEPALA_BIDANG = "kepala_bidang"
    TIM_KERJA = "tim_kerja"
    ADMIN = "admin"

    @property
    def sop_role(self) -> Role | None:
        """The SOP's role (``sop.Role``) of this account role; ``None`` for ``admin``."""
        return SOP_ROLES.get(self)


SOP_ROLES: dict[AccountRole, Role] = {
    AccountRole.PEMOHON: Role.PEMOHON,
    AccountRole.HELPDESK: Role.HELPDESK,
    AccountRole.KEPALA_DINAS: Role.KEPALA_DINAS,
    AccountRole.KEPALA_BIDANG: Role.KEPALA_BIDANG,
    AccountRole.TIM_KERJA: Role.TIM_KERJA,
}

USERNAME_PATTERN = r"^[a-z_][a-z0-9._-]{0,31}$"
"""A portable login name (POSIX-like, lower case): safe in paths, logs, URLs and shells."""

Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]


def _required(value: str) -> str:
    text = safe_text(value)
    if not text:
        raise ValueError("only blanks")
    return text


DisplayName = Annotated[str, StringConstraints(max_length=120), AfterValidator(_required)]
"""A person's name as written (``Dr. Ir. Hj. Siti Aminah, M.T.``): one line of printable text."""
Text = Annotated[str, StringConstraints(max_length=200), AfterValidator(_required)]
SiteKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
AccountId = Annotated[int, Field(ge=1)]


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("a time without a time zone")
    return value


When = Annotated[dt.datetime, AfterValidator(_aware)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Delegation(_Frozen):
    """A recorded delegation: the account acts as the Kepala Dinas (Plt. or Plh.) for a period.

    Plt. (Pelaksana Tugas) stands in while the office is vacant; Plh. (Pelaksana Harian) while its
    holder is away. Either is given by a decree (Surat Perintah / SK), recorded by its number.
    """

    acting_as: Literal[AccountRole.KEPALA_DINAS] = AccountRole.KEPALA_DINAS
    kind: Literal["Plt.", "Plh."]
    start: dt.date
    end: dt.date
    decree: Text
    """The decree's number and title (``800/123/BKPSDM/2026``)."""

    @model_validator(mode="after")
    def _period(self) -> Delegation:
        if self.end < self.start:
            raise ValueError(f"the delegation ends ({self.end}) before it starts ({self.start})")
        return self

    def valid_on(self, day: dt.date) -> bool:
        """Whether the delegation holds on ``day`` (both ends included)."""
        return self.start <= day <= self.end


class AccountRef(_Frozen):
    """What an event stores of the account that did it."""

    id: AccountId
    username: Username
    display_name: DisplayName
    role: AccountRole


class Account(_Frozen):
    """One person (or, in single-engineer mode, this machine's user) who acts on tickets."""

    id: AccountId
    username: Username
    display_name: DisplayName
    role: AccountRole
    opd: Text | None = None
    """The pemohon's OPD (its name as in ``inventory/sites.yaml``); no other role has one."""
    sites: tuple[SiteKey, ...] = ()
    """The OPD's sites (keys of ``sites.yaml``) the pemohon may request for and read."""
    delegations: tuple[Delegation, ...] = ()
    disabled: bool = False
    local: bool = False
    """Made by single-engineer mode for this machine's user (see docs/accounts.md), not by ``user add``."""
    created_at: When

    @model_validator(mode="after")
    def _fits_role(self) -> Account:
        if self.role is AccountRole.PEMOHON:
            if self.opd is None or not self.sites:
                raise ValueError("a pemohon account needs its OPD and the OPD's sites")
            if self.delegations:
                raise ValueError("a pemohon cannot act for the Kepala Dinas")
        elif self.opd is not None or self.sites:
            raise ValueError(f"only a pemohon account has an OPD (this one is {self.role})")
        return self

    def ref(self) -> AccountRef:
        return AccountRef(id=self.id, username=self.username, display_name=self.display_name, role=self.role)

    def delegation_on(self, day: dt.date) -> Delegation | None:
        """The delegation that holds on ``day``, if any."""
        return next((d for d in self.delegations if d.valid_on(day)), None)

    def acts_as(self, role: AccountRole, day: dt.date) -> bool:
        """Whether the account may act in ``role`` on ``day``: its own role, or a valid delegation."""
        if self.disabled:
            return False
        if role is self.role:
            return True
        return role is AccountRole.KEPALA_DINAS and self.delegation_on(day) is not None


def opd_sites(opd: str, site_opds: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """The OPD's name as the inventory writes it and its sites, from ``{site key: OPD name}``.

    ``opd`` is the OPD's name (any case) or the key of one of its sites. AccountError naming the
    known OPDs when it is neither.
    """
    wanted = opd.strip().casefold()
    name = next((n for n in site_opds.values() if n.casefold() == wanted), None)
    if name is None and opd.strip() in site_opds:
        name = site_opds[opd.strip()]
    if name is None:
        known = "; ".join(sorted(set(site_opds.values())))
        raise AccountError(f"--opd: {opd!r} is no OPD of inventory sites.yaml (known: {known})")
    return name, tuple(sorted(k for k, n in site_opds.items() if n == name))


class Whoami(_Frozen):
    """Who a server says the caller is (``GET /api/v1/auth/me``): an account, or the service principal.

    ``account`` is None for the server's service token (the ``system`` principal, SiPelangi itself).
    """

    username: str
    display_name: str
    role: Literal["pemohon", "helpdesk", "kepala_dinas", "kepala_bidang", "tim_kerja", "admin", "system"]
    account: Account | None = None
    delegation: Delegation | None = None
    """The account's delegation valid today (WIB), if any: it may act as the Kepala Dinas."""
    token_expires_at: When | None = None
    """When the caller's API token expires (None: the service token, which does not)."""

    def actor(self) -> Account | SystemAccount:
        """The caller as the policy reads it: the account, or :data:`~sipelangi_net.tickets.policy.SYSTEM`."""
        return SYSTEM if self.account is None else self.account

    @model_validator(mode="after")
    def _consistent(self) -> Whoami:
        if (self.account is None) != (self.role == SYSTEM.role):
            raise ValueError("an account's role, or the system principal without an account")
        if self.account is not None and (
            self.account.username != self.username or str(self.account.role) != self.role
        ):
            raise ValueError("the account's username and role differ from the answer's")
        return self
