"""Faults for people (pure): the categories a pemohon reports, who may record which fault step, whose
faults an account sees, and the draft a report opens (issue 19, item 3).

The API (``/api/v1/faults``) and the pages (``/gangguan``) both go through here, so a report or a
step is checked the same way whichever door it came in by.

::

    account role     fault role            may      (the roles: faults/roles.py, as the CLI)
    pemohon          Pemohon               report a fault at a site of their OPD (step reported)
    helpdesk         Helpdesk              report on an OPD's behalf; triaged, closed
    tim_kerja        Tim Kerja             diagnosed, fixed, verified
    (others)         -                     read; no step (403 naming the step and its role)

The monitor (``Monitor``) records its steps in the store directly, never through an account.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from sipelangi_net.errors import ConfigError, Forbidden
from sipelangi_net.faults import roles
from sipelangi_net.faults.models import FaultActor, FaultRecord, FaultTicket
from sipelangi_net.faults.records import FaultDraft, FaultRecords
from sipelangi_net.faults.roles import PEOPLE
from sipelangi_net.faults.service import person_report
from sipelangi_net.faults.sop import FaultRole, Severity, StepKey, describe
from sipelangi_net.faults.standards import FaultStandards, load_standards
from sipelangi_net.inventory import Inventory
from sipelangi_net.tickets.policy import HELPDESK, PEMOHON, Actor, same_opd

NetworkCategory = Literal["jaringan putus", "jaringan lambat", "sering putus-sambung", "lainnya"]
ApplicationCategory = Literal["tidak bisa akses aplikasi"]
CategoryText = Literal[NetworkCategory, ApplicationCategory]
APPLICATION_CATEGORY: ApplicationCategory = "tidak bisa akses aplikasi"


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of fault a person reports: its words (the API's value) and the severity proposed."""

    text: CategoryText
    severity: Severity
    application: bool = False
    """The report names the application that cannot be reached (``simpeg``)."""


CATEGORIES: tuple[Category, ...] = (
    Category("jaringan putus", "outage"),
    Category("jaringan lambat", "degraded"),
    Category("sering putus-sambung", "degraded"),
    Category(APPLICATION_CATEGORY, "degraded", application=True),
    Category("lainnya", "minor"),
)
"""The fixed list; the severity is a proposal the helpdesk confirms or changes when it triages."""
CATEGORY_BY_TEXT: dict[str, Category] = {c.text: c for c in CATEGORIES}
assert set(CATEGORY_BY_TEXT) == set(get_args(CategoryText))

FAULT_ROLE = PEOPLE
"""Account role -> the fault SOP's role (faults/roles.py); any other role records no fault step."""
REPORTS_PER_HOUR = 10
"""Reports one account may open in an hour (each mails the helpdesk and the OPD's PIC)."""


class TooMany(ConfigError):
    """An account reported more faults than :data:`REPORTS_PER_HOUR` in the last hour."""


@functools.lru_cache(maxsize=8)
def standards_at(folder: Path) -> FaultStandards:
    """The fault time standards of the inventory folder ``folder``, read once (as the inventory is)."""
    return load_standards(folder)


def fault_actor(account: Actor) -> FaultActor | None:
    """The account as a fault step's actor (its username), or None for a role that records none."""
    role = FAULT_ROLE.get(str(account.role))
    return None if role is None else FaultActor(role=role, name=account.username)


def step_actor(fault: FaultTicket, key: StepKey, account: Actor) -> FaultActor:
    """The actor ``account`` records ``key`` on ``fault`` as (:func:`faults.roles.fault_actor`, as the
    CLI does); Forbidden naming the fault, the step and the roles that record it."""
    try:
        return roles.fault_actor(account, key)
    except Forbidden as exc:
        raise Forbidden(f"{fault.label}: {exc}") from None


def account_sites(account: Actor, inventory: Inventory) -> frozenset[str] | None:
    """The sites whose faults ``account`` sees: a pemohon their OPD's sites in the inventory (only their
    own, when bound to some); None for every other role (every fault). A disabled account none."""
    if account.disabled:
        return frozenset()
    if str(account.role) != PEMOHON:
        return None
    own = account.opd
    return frozenset(
        key
        for key, site in inventory.sites.items()
        if own and same_opd(site.opd, own) and (not account.sites or key in account.sites)
    )


def may_see(fault: FaultTicket, sites: frozenset[str] | None) -> bool:
    """Whether a fault is for an account that sees ``sites`` (:func:`account_sites`)."""
    return sites is None or not sites.isdisjoint(fault.opds)


def visible(
    records: FaultRecords,
    sites: frozenset[str] | None,
    *,
    status: Literal["open", "closed"] | None = None,
    opd: str | None = None,
    source: Literal["monitor", "compliance", "pemohon"] | None = None,
    since: dt.datetime | None = None,
) -> list[FaultTicket]:
    """The faults an account seeing ``sites`` may read, with the filters, by number (a pemohon's are
    read site by site; ``opd`` outside their sites gives none); ``since``: open at or after it."""
    if sites is None:
        return list(records.list(status=status, opd=opd, source=source, since=since))
    wanted = sorted(sites if opd is None else sites & {opd})
    found = {
        f.id: f for key in wanted for f in records.list(status=status, opd=key, source=source, since=since)
    }
    return [found[n] for n in sorted(found)]


def report_site(account: Actor, wanted: str | None, inventory: Inventory) -> str:
    """The site a report by ``account`` is for: a pemohon's own (named, or their only one); the
    helpdesk names any site of the inventory. Forbidden for other roles and other OPDs' sites."""
    role = str(account.role)
    if account.disabled or role not in (PEMOHON, HELPDESK):
        raise Forbidden(
            f"reporting a fault ({describe('reported')}) needs the role {PEMOHON} of the OPD"
            f" (or {HELPDESK} on its behalf); account {account.username!r} has the role {role}"
        )
    if role == HELPDESK:
        if wanted is None:
            raise ConfigError("site: the helpdesk names the site (sites.yaml key) of the OPD it reports for")
        if wanted not in inventory.sites:
            raise ConfigError(f"site {wanted!r}: not a site of the server's inventory")
        return wanted
    sites = account_sites(account, inventory) or frozenset()
    if wanted is None and len(sites) == 1:
        return next(iter(sites))
    if wanted is None:
        listed = ", ".join(sorted(sites)) or "none"
        raise ConfigError(f"site: name the site the fault is at (account {account.username!r}: {listed})")
    if wanted not in sites:
        raise Forbidden(
            f"a fault report for site {wanted!r} needs the role {PEMOHON} of its OPD (or {HELPDESK});"
            f" account {account.username!r} is a pemohon of {account.opd or 'no OPD'!r}"
        )
    return wanted


def report_summary(category: Category, application: str, opd: str) -> str:
    """One line: ``Tidak bisa akses aplikasi SIMPEG — Dinas Kesehatan (Dinkes)`` (at most 200 characters)."""
    what = category.text[:1].upper() + category.text[1:]
    if application:
        what += f" {application}"
    return f"{what} — {opd}"[:200]


def report_draft(
    *,
    category: CategoryText,
    application: str | None,
    description: str,
    site: str,
    inventory: Inventory,
    account: Actor,
    now: dt.datetime,
) -> FaultDraft:
    """The fault a report opens (:func:`faults.service.person_report`, as ``fault report`` does: kind
    ``reported``, the site's access switch, a key of its own): the category's proposed severity, the
    description as the ``reported`` step's note."""
    chosen = CATEGORY_BY_TEXT[category]
    app_name = ""
    if chosen.application:
        known = inventory.applications.get(application or "")
        if known is None:
            raise ConfigError(f"application {application!r}: not an application of the server's inventory")
        app_name = known.name
    return person_report(
        inventory,
        opd=site,
        summary=report_summary(chosen, app_name, inventory.sites[site].opd),
        at=now,
        severity=chosen.severity,
        note=f"Dilaporkan oleh {account.display_name}: {description}"[:2000],
    )


def file_report(
    records: FaultRecords, draft: FaultDraft, *, account: Actor, now: dt.datetime
) -> tuple[FaultTicket, bool]:
    """Open ``draft``'s fault as ``account`` (True), or, when a report of the same fault (same site,
    kind and application: the same summary) is open already, that fault (False) with this report kept
    on it as an observation, once per account; :class:`TooMany` past :data:`REPORTS_PER_HOUR`."""
    actor = roles.fault_actor(account, "reported")
    existing = next(
        (
            f
            for f in records.list(status="open", opd=draft.opds[0], source="pemohon")
            if f.summary == draft.summary
        ),
        None,
    )
    if existing is None:
        check_rate(records, account, now=now)
        return records.open(draft, actor=actor, at=now)
    if _reported_by(existing, account.username):
        return existing, False
    also = FaultRecord(
        kind="observation",
        at=max(now, existing.opened_at),
        actor=actor,
        summary=f"Dilaporkan juga oleh {account.display_name}"[:200],
        outputs={"report": draft.note},
    )
    return records.add_record(existing.id, also), False


def _reported_by(fault: FaultTicket, username: str) -> bool:
    """Whether ``username`` reported ``fault`` (its first step, or a report kept on it)."""
    first = fault.history[0].actor
    if first.role in (FaultRole.PEMOHON, FaultRole.HELPDESK) and first.name == username:
        return True
    return any(r.kind == "observation" and r.actor.name == username for r in fault.records)


def check_rate(records: FaultRecords, account: Actor, *, now: dt.datetime) -> None:
    """:class:`TooMany` when ``account`` opened :data:`REPORTS_PER_HOUR` reports in the last hour."""
    since = now - dt.timedelta(hours=1)
    recent = [
        f
        for f in records.list(source="pemohon", since=since)
        if f.history[0].at >= since and f.history[0].actor.name == account.username
    ]
    if len(recent) >= REPORTS_PER_HOUR:
        raise TooMany(
            f"account {account.username!r} reported {len(recent)} faults in the last hour"
            f" ({REPORTS_PER_HOUR} at most); add to an open fault's report, or wait"
        )


def record_step(
    records: FaultRecords,
    fault: FaultTicket,
    key: StepKey,
    *,
    actor: FaultActor,
    note: str = "",
    severity: Severity | None = None,
    at: dt.datetime,
) -> FaultTicket:
    """Record ``key`` on ``fault`` as ``actor`` (checked by :func:`step_actor` first). ``severity``:
    the helpdesk's grading at triage (a change from the reported one is written into the step's note)."""
    return records.move(fault.id, key, actor=actor, at=at, note=note[:1900], severity=severity)
