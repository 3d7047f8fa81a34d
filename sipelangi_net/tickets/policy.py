"""Who may do each SOP step (pure): the roles as data, and one check per move.

::

    step                          account roles that may do it
    1  request (and resubmit)     pemohon of the ticket's OPD; helpdesk on their behalf (paper letter)
    2  forward                    helpdesk
    3  approve or defer           kepala_dinas, or an account with a Plt./Plh. delegation valid that day
    4-8, 10                       tim_kerja (step 6, telling the schedule, also the helpdesk: the SOP's role)
    9  handover                   tim_kerja, with the pemohon's co-signature on the berita acara
    10 acknowledge the report     kepala_bidang
    11 close                      helpdesk, once the Kepala Bidang acknowledged the report
    11 withdraw                   pemohon of the ticket's OPD; helpdesk on their behalf
    12 closing notice             the system, on delivery (:data:`SYSTEM`)

``admin`` manages accounts and does no step. A refused move raises
:class:`~sipelangi_net.errors.Forbidden` naming the step and the role(s) it needs.

**Single-engineer mode.** One engineer alone on a local SQLite store runs the whole SOP
(``provision``, ``ticket approve``, ``ticket close``). Their account is the machine's ``local``
account (``sipelangi_net.accounts.local``), and :func:`single_engineer` is the one place the
policy steps aside: a local account may record every step, the event keeps its stamp with
``local: true`` (so the record shows the step was not decided by the policy) and the actor the
command was given (``--actor``, ``--helpdesk``). Whoever binds an account to a store (the CLI:
``sipelangi_net/cli/identity.py``; a server) binds a local account only while the store has no
other accounts (:func:`sipelangi_net.accounts.local.bindable`): once an admin adds accounts,
the local one acts no more.

The accounts are anything shaped like :class:`Actor` (the accounts package's ``Account``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from sipelangi_net.errors import Forbidden, WorkflowError
from sipelangi_net.tickets.models import AccountStamp, Move, Request, Ticket
from sipelangi_net.tickets.sop import BRANCH_BY_OUTCOME, describe

WIB = dt.timezone(dt.timedelta(hours=7))
PEMOHON = "pemohon"
HELPDESK = "helpdesk"
KEPALA_DINAS = "kepala_dinas"
KEPALA_BIDANG = "kepala_bidang"
TIM_KERJA = "tim_kerja"
ADMIN = "admin"
SYSTEM_ROLE = "system"


class Delegation(Protocol):
    """A recorded delegation of the Kepala Dinas's authority (Plt. or Plh.) for a period."""

    @property
    def kind(self) -> str:
        """``Plt.`` or ``Plh.``"""
        ...

    def valid_on(self, day: dt.date) -> bool: ...


class Actor(Protocol):
    """What the policy reads of an account."""

    @property
    def id(self) -> object: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def opd(self) -> str | None:
        """The pemohon's OPD (None for other roles)."""
        ...

    @property
    def sites(self) -> Collection[str]:
        """The pemohon's sites (empty: any site of the OPD)."""
        ...

    @property
    def delegations(self) -> Sequence[Delegation]: ...
    @property
    def disabled(self) -> bool: ...
    @property
    def local(self) -> bool:
        """Single-engineer mode's account of this machine's user (see :func:`single_engineer`)."""
        ...


@dataclass(frozen=True, slots=True)
class SystemAccount:
    """The identity of SiPelangi itself: records step 12 when the closing notice is delivered."""

    id: str = "system"
    username: str = "system"
    display_name: str = "SiPelangi"
    role: str = SYSTEM_ROLE
    opd: str | None = None
    sites: tuple[str, ...] = ()
    delegations: tuple[Delegation, ...] = ()
    disabled: bool = False
    local: bool = False


SYSTEM = SystemAccount()


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may do one step (or one branch outcome of it)."""

    roles: tuple[str, ...]
    for_pemohon: bool = False
    """The pemohon's own act: a pemohon only for their OPD; the helpdesk on their behalf."""
    delegable: bool = False
    """A Plt./Plh. of the Kepala Dinas (a delegation valid on the day) may do it too."""
    cosigner: str = ""
    """A done step's outputs must carry this signer (step 9's berita acara: the pemohon)."""
    acknowledged: bool = False
    """Done only after the Kepala Bidang acknowledged the step-10 report."""

    def needed(self, day: dt.date) -> str:
        text = " or ".join(self.roles)
        if self.for_pemohon:
            text = f"{PEMOHON} of the ticket's OPD (or {HELPDESK} on their behalf)"
        if self.delegable:
            text += f" (or a Plt./Plh. of the Kepala Dinas on {day.isoformat()})"
        return text


_FOR_PEMOHON = Rule((PEMOHON, HELPDESK), for_pemohon=True)
_TIM_KERJA = Rule((TIM_KERJA,))

RULES: Mapping[tuple[int, str], Rule] = MappingProxyType(
    {
        (1, ""): _FOR_PEMOHON,
        (2, ""): Rule((HELPDESK,)),
        (3, ""): Rule((KEPALA_DINAS,), delegable=True),
        (4, ""): _TIM_KERJA,
        (5, ""): _TIM_KERJA,
        (6, ""): Rule((TIM_KERJA, HELPDESK)),
        (7, ""): _TIM_KERJA,
        (8, ""): _TIM_KERJA,
        (9, ""): Rule((TIM_KERJA,), cosigner=PEMOHON),
        (10, ""): _TIM_KERJA,
        (10, "acknowledge"): Rule((KEPALA_BIDANG,)),
        (11, ""): Rule((HELPDESK,), acknowledged=True),
        (11, "withdraw"): _FOR_PEMOHON,
        (12, ""): Rule((SYSTEM_ROLE,)),
    }
)
"""Per (step, outcome) — "" for any outcome without a rule of its own — who may do it."""


def rule(step: int, outcome: str) -> Rule:
    return RULES.get((step, outcome)) or RULES[(step, "")]


def what(step: int, outcome: str) -> str:
    """The step as messages name it: ``step 3 (approve or defer)``, ``step 11 (withdraw ...)``."""
    branch = BRANCH_BY_OUTCOME.get((step, outcome))
    return f"step {step} ({branch.title})" if branch else describe(step)


def local_day(when: dt.datetime) -> dt.date:
    """The day in Jakarta (WIB) of ``when``: the day a delegation must be valid on.

    At the ends of the calendar (``0001-01-01T00:00+14:00``) the day as written: the workflow's
    checks of the step's times refuse such a time afterwards.
    """
    try:
        return when.astimezone(WIB).date()
    except OverflowError:
        return when.date()


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def single_engineer(account: Actor | None) -> bool:
    """Whether ``account`` is single-engineer mode's local account, which may record every step.

    The one exception to the rules above (see the module's docstring): keyed on the account's
    ``local`` flag; a disabled local account is refused like any other.
    """
    return account is not None and account.local and not account.disabled


def decides(account: Actor | None) -> bool:
    """Whether the policy decides the moves of ``account`` (None: no account, nothing to decide)."""
    return account is not None and not single_engineer(account)


def stamp(account: Actor, *, on_behalf_of: str = "", delegation: str = "") -> AccountStamp:
    """The account as an event keeps it."""
    return AccountStamp(
        id=str(account.id),
        username=account.username,
        display_name=account.display_name,
        role=str(account.role),
        on_behalf_of=on_behalf_of,
        delegation=delegation,
        local=account.local,
    )


def _pemohon_of(request: Request, account: Actor, where: str) -> None:
    needed = f"{where} needs the role {PEMOHON} of {request.opd!r} (or {HELPDESK} on their behalf)"
    if account.opd is None or not _same(account.opd, request.opd):
        raise Forbidden(
            f"{needed}; account {account.username!r} is a pemohon of {account.opd or 'no OPD'!r},"
            f" not of {request.opd!r}"
        )
    if account.sites and request.site not in account.sites:
        raise Forbidden(
            f"{needed}; account {account.username!r} is not bound to site {request.site!r}"
            f" (its sites: {', '.join(sorted(account.sites))})"
        )


def _delegation(account: Actor, day: dt.date) -> str:
    for d in account.delegations:
        if d.valid_on(day):
            return f"{d.kind} Kepala Dinas on {day.isoformat()}"
    return ""


def _decide(r: Rule, request: Request, account: Actor, *, where: str, day: dt.date) -> AccountStamp:
    role = str(account.role)
    if account.disabled:
        raise Forbidden(f"{where}: account {account.username!r} is disabled")
    if single_engineer(account):
        return stamp(account)
    if role == ADMIN:
        raise Forbidden(
            f"{where} needs the role {r.needed(day)}; an admin manages accounts and does no SOP step"
        )
    if role in r.roles:
        if r.for_pemohon and role == PEMOHON:
            _pemohon_of(request, account, where)
        if r.for_pemohon and role == HELPDESK:
            return stamp(account, on_behalf_of=f"{request.pic.name}, {request.opd}")
        return stamp(account)
    delegation = _delegation(account, day) if r.delegable else ""
    if delegation:
        return stamp(account, delegation=delegation)
    raise Forbidden(
        f"{where} needs the role {r.needed(day)}; account {account.username!r} has the role {role}"
    )


def check_actor(ticket: Ticket, move: Move, account: Actor, *, now: dt.datetime) -> AccountStamp:
    """The stamp the event keeps when ``account`` may do ``move`` on ``ticket``; Forbidden if not.

    A delegation counts when it is valid on the day (WIB) the step ends (``move.ended_at`` or now).
    """
    where = f"ticket {ticket.id}: {what(move.step, move.outcome)}"
    day = local_day(move.ended_at or now)
    return _decide(rule(move.step, move.outcome), ticket.request, account, where=where, day=day)


def check_opening(ticket_id: str, request: Request, account: Actor, *, now: dt.datetime) -> AccountStamp:
    """Step 1 (the request) by ``account``: its stamp, or Forbidden."""
    where = f"ticket {ticket_id}: {describe(1)}"
    return _decide(rule(1, "done"), request, account, where=where, day=local_day(now))


def _signer_roles(outputs: Mapping[str, Any]) -> set[str]:
    handover = outputs.get("handover")
    signers = handover.get("signers") if isinstance(handover, Mapping) else None
    if not isinstance(signers, Sequence):
        return set()
    return {str(s.get("role")) for s in signers if isinstance(s, Mapping)}


def check_cosigned(ticket: Ticket, move: Move) -> None:
    """Forbidden when a done step lacks the co-signature its rule needs (step 9: the pemohon's)."""
    r = rule(move.step, move.outcome)
    if r.cosigner and move.outcome == "done" and r.cosigner not in _signer_roles(move.outputs):
        raise Forbidden(
            f"ticket {ticket.id}: {what(move.step, move.outcome)} needs the {r.cosigner}'s co-signature:"
            f" outputs.handover.signers names no {r.cosigner}; record the signed berita acara"
            f" with 'sipelangi-net ticket sign {ticket.id}'"
        )


def check_acknowledged(ticket: Ticket, move: Move) -> None:
    """WorkflowError when the step may only follow the Kepala Bidang's acknowledgement (step 11)."""
    r = rule(move.step, move.outcome)
    if r.acknowledged and move.outcome == "done" and ticket.status == "reported":
        raise WorkflowError(
            f"ticket {ticket.id}: cannot do {what(move.step, move.outcome)}: the installation report"
            f" ({describe(10)}) is not acknowledged by the Kepala Bidang yet"
            f" ({KEPALA_BIDANG} records step 10 with outcome acknowledge)"
        )


def may_see(ticket: Ticket, account: Actor) -> bool:
    """Whether ``account`` may read ``ticket``: a pemohon only their OPD's (and sites'), every other
    role every ticket; a disabled account none. A server answers "not found" otherwise."""
    if account.disabled:
        return False
    if str(account.role) != PEMOHON:
        return True
    request = ticket.request
    same_opd = account.opd is not None and _same(account.opd, request.opd)
    return same_opd and (not account.sites or request.site in account.sites)


def visible_opd(account: Actor) -> str | None:
    """The OPD a ticket list is limited to for ``account`` (a pemohon's), None for every OPD.

    Compare with :func:`same_opd` (blanks and case do not count)."""
    return account.opd or "" if str(account.role) == PEMOHON else None


def same_opd(a: str, b: str) -> bool:
    """Whether two OPD names are the same one (blanks and case do not count)."""
    return _same(a, b)
