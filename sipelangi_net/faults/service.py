"""The monitor's decisions on the fault record: :func:`apply_decisions` (correlate → FaultRecords).

Each round the monitor folds its observations with :func:`sipelangi_net.faults.correlate.advance`
and hands the :class:`~sipelangi_net.faults.correlate.RoundResult` here, which records it through
any :class:`~sipelangi_net.faults.records.FaultRecords` (the SQLite store's ``faults``):

* ``open`` opens a fault (key ``monitor:<target>:<down|degraded>``): kind ``link_down`` for a link
  or an uplink down, ``unreachable`` for a device, gateway or host down, ``degraded`` for a
  degradation; severity ``outage`` when down with OPDs behind it, ``degraded`` when degraded,
  ``minor`` when down with no OPD behind. The store queues the mails.
* ``still_open`` keeps the fault; a new flap count or a new set of folded targets is recorded on it
  as an ``observation`` (a fault already closed by a person while the target is still down is
  opened again: the outage goes on).
* ``close`` records ``verified`` and ``closed`` by the Monitor, with the time to repair in the note.
* ``fold`` records an ``observation`` on the parent's fault naming the child target, and closes the
  child's fault (``verified``, ``closed``) with a note naming the parent fault.

:func:`person_report` is the fault a person reports (the CLI's ``fault report``, the pages).

The monitor is ``FaultActor(role=Monitor, name=<its host name>)``. A fault the record no longer
has open when the monitor closes or folds it (a person closed it) is left as it is.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sipelangi_net.errors import ConfigError, InventoryError, MalformedTicketError, WorkflowError
from sipelangi_net.faults.correlate import Decision, RoundResult
from sipelangi_net.faults.correlate import Fault as Problem
from sipelangi_net.faults.correlate import FaultKind as ProblemKind
from sipelangi_net.faults.models import FaultActor, FaultKind, FaultRecord, FaultTicket, LinkRef
from sipelangi_net.faults.notices import durasi
from sipelangi_net.faults.records import FaultDraft, FaultRecords
from sipelangi_net.faults.sop import FaultRole, Severity
from sipelangi_net.faults.topology import DependencyTree, Target
from sipelangi_net.inventory import Inventory

log = logging.getLogger(__name__)
WHAT = {
    "device": "Perangkat",
    "link": "Link",
    "uplink": "Uplink OPD",
    "gateway": "Gateway OPD",
    "host": "Host OPD",
}


@dataclass(frozen=True, slots=True)
class Applied:
    """What one round did to the record."""

    opened: tuple[FaultTicket, ...] = ()
    closed: tuple[FaultTicket, ...] = ()
    observed: tuple[FaultTicket, ...] = ()
    """Faults that got an observation (flaps, folded targets)."""
    errors: tuple[str, ...] = ()
    """Decisions the record refused (a step out of order, a stored fault unreadable): logged, and
    the round's other decisions recorded all the same."""

    def to_json(self) -> dict[str, Any]:
        return {
            "opened": [f.label for f in self.opened],
            "closed": [f.label for f in self.closed],
            "observed": [f.label for f in self.observed],
            "errors": list(self.errors),
        }


def fault_key(target: Target, kind: ProblemKind) -> str:
    return f"monitor:{target}:{kind}"


def _device_of(target: Target, tree: DependencyTree) -> str:
    """The device a target is on: itself, or the nearest device above it (a link's near end)."""
    if target.kind == "device":
        return target.name
    for above in tree.ancestors(target):
        if above.kind == "device":
            return above.name
    return tree.root.name


def _link_of(target: Target, tree: DependencyTree) -> LinkRef | None:
    """A link's or an uplink's two devices (in name order), from the tree."""
    if target.kind not in ("link", "uplink"):
        return None
    near = _device_of(target, tree)
    far = [t.name for t in tree.children(target) if t.kind == "device"]
    if not far:
        return None
    a, b = sorted((near, far[0]))
    return LinkRef(a=a, b=b)


def draft_for(problem: Problem, tree: DependencyTree) -> FaultDraft:
    """The fault a monitor problem opens (pure)."""
    target = problem.target
    kind: FaultKind
    severity: Severity
    if problem.kind == "degraded":
        kind, severity, state = "degraded", "degraded", "menurun (di bawah rencana)"
    else:
        kind = "link_down" if target.kind in ("link", "uplink") else "unreachable"
        severity = "outage" if problem.opds else "minor"
        state = "putus" if kind == "link_down" else "tidak terjangkau"
    cut = f"; {len(problem.opds)} OPD terdampak" if problem.opds else ""
    return FaultDraft(
        key=fault_key(target, problem.kind),
        kind=kind,
        source="monitor",
        severity=severity,
        device=_device_of(target, tree),
        link=_link_of(target, tree),
        opds=problem.opds,
        summary=f"{WHAT[target.kind]} {target.name} {state}{cut}"[:200],
        opened_at=problem.opened_at,
    )


class _Round:
    """One round's recording (the actor and the store), collecting what it did."""

    def __init__(self, records: FaultRecords, tree: DependencyTree, actor: FaultActor) -> None:
        self.records, self.tree, self.actor = records, tree, actor
        self.opened: list[FaultTicket] = []
        self.closed: list[FaultTicket] = []
        self.observed: list[FaultTicket] = []

    def open(self, d: Decision) -> FaultTicket:
        fault, made = self.records.open(draft_for(d.fault, self.tree), actor=self.actor, at=d.at)
        if made:
            self.opened.append(fault)
        return fault

    def still_open(self, d: Decision) -> None:
        fault = self.records.open_by_key(fault_key(d.fault.target, d.fault.kind)) or self.open(d)
        self.observe(fault, d)

    def observe(self, fault: FaultTicket, d: Decision) -> None:
        """An observation when the flap count or the folded targets changed since the last one."""
        seen = {
            "flaps": d.fault.flaps,
            "flapping": d.fault.flapping,
            "folded": [str(t) for t in d.fault.folded],
        }
        last = next((r.outputs for r in reversed(fault.records) if r.kind == "observation"), None)
        if last is not None and {k: last.get(k) for k in seen} == seen:
            return
        if last is None and not d.fault.flaps and not d.fault.folded:
            return
        parts = []
        if d.fault.flaps:
            parts.append(f"berayun (flap) {d.fault.flaps} kali")
        if d.fault.folded:
            parts.append(f"mencakup {len(d.fault.folded)} target di belakangnya")
        summary = f"{d.fault.target}: " + ("; ".join(parts) or "stabil")
        self._record(fault, d.at, summary, seen)

    def _record(self, fault: FaultTicket, at: dt.datetime, summary: str, outputs: dict[str, Any]) -> None:
        record = FaultRecord(
            kind="observation", at=at, actor=self.actor, summary=summary[:200], outputs=outputs
        )
        try:
            self.observed.append(self.records.add_record(fault.id, record))
        except WorkflowError as exc:  # a fault full of records: the observation is only logged
            log.warning("%s: observation not recorded: %s", fault.label, exc)

    def close(self, d: Decision, note: str) -> FaultTicket | None:
        fault = self.records.open_by_key(fault_key(d.fault.target, d.fault.kind))
        if fault is None:
            log.info("%s %s: no open fault to close (closed by a person?)", d.fault.target, d.fault.kind)
            return None
        if fault.step != "verified":
            fault = self.records.move(fault.id, "verified", actor=self.actor, at=d.at, note=note)
        closed = self.records.move(fault.id, "closed", actor=self.actor, at=d.at, note=note)
        self.closed.append(closed)
        return closed

    def recovered(self, d: Decision) -> None:
        repair = d.at - d.fault.opened_at
        self.close(d, f"pulih menurut monitor; waktu perbaikan {durasi(repair)}")

    def fold(self, d: Decision) -> None:
        assert d.into is not None  # a fold always names the fault that stands for it
        target, kind = d.into
        parent = self.records.open_by_key(fault_key(target, kind))
        where = parent.label if parent else f"{target} ({kind})"
        self.close(d, f"digabung ke gangguan {where}: {target} di atasnya juga bermasalah")
        if parent is not None:
            summary = f"{d.fault.target} ({d.fault.kind}) digabung ke gangguan ini"
            self._record(parent, d.at, summary, {"folded_from": str(d.fault.target), "kind": d.fault.kind})


def apply_decisions(
    records: FaultRecords, result: RoundResult, *, tree: DependencyTree, monitor_name: str
) -> Applied:
    """Record one round's decisions (module docstring): opens first, so a fold finds its parent's fault."""
    work = _Round(records, tree, FaultActor(role=FaultRole.MONITOR, name=monitor_name))
    order = {"open": 0, "still_open": 1, "fold": 2, "close": 3}
    errors: list[str] = []
    for d in sorted(result.decisions, key=lambda d: order[d.action]):
        try:
            _apply(work, d)
        except (WorkflowError, MalformedTicketError) as exc:  # one refused decision: the round goes on
            log.warning("%s %s: %s not recorded: %s", d.fault.target, d.fault.kind, d.action, exc)
            errors.append(f"{d.fault.target} {d.fault.kind}: {d.action}: {exc}")
    return Applied(tuple(work.opened), tuple(work.closed), tuple(work.observed), tuple(errors))


def _apply(work: _Round, d: Decision) -> None:
    if d.action == "open":
        work.observe(work.open(d), d)
    elif d.action == "still_open":
        work.still_open(d)
    elif d.action == "fold":
        work.fold(d)
    else:
        work.recovered(d)


def person_report(
    inventory: Inventory,
    *,
    opd: str,
    summary: str,
    at: dt.datetime,
    severity: Severity = "degraded",
    note: str = "",
) -> FaultDraft:
    """The fault a person's report opens (``jaringan lambat``): source ``pemohon``, kind ``reported``
    (placed by the triage), on the OPD's access switch, key ``pemohon:<n>`` with ``n`` a fresh
    random number (every report is its own fault until the helpdesk triages it). An OPD that is no
    site of ``sites.yaml`` is an InventoryError naming the file."""
    site = inventory.sites.get(opd)
    if site is None:
        raise InventoryError(
            f"{inventory.path / 'sites.yaml'}: {opd!r}: no such OPD site; give a site key (e.g. dinkes)"
        )
    try:
        return FaultDraft(
            key=f"pemohon:{secrets.randbits(63)}",
            kind="reported",
            source="pemohon",
            severity=severity,
            device=site.access_switch.device,
            opds=(opd,),
            summary=summary,
            opened_at=at,
            note=note,
        )
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"fault report: {where}: {err['msg']}") from None
