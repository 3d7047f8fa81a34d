"""``fault retest``: the step-8 bandwidth test of each OPD a fault names, against its plan.

The same runners and verdict as ``bwtest`` (:func:`sipelangi_net.bandwidth.gate.measure`, from the
environment's OPD side); the plan is the OPD's installation plan: the latest provisioned one
among the fault's installation tickets (or, when the fault lists none, among all the OPD's). The
re-test passes when every OPD's test passes; an OPD without a plan, or whose test could not be
made, fails it (a test not made is never a pass). The result is kept on the fault as a
``retest`` record; a pass may record the step ``verified``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.bandwidth.models import BwResult
from sipelangi_net.bandwidth.run import BwRun
from sipelangi_net.compliance.intended import Provisioned, provisioned
from sipelangi_net.errors import IncompleteTicketError, SipelangiError
from sipelangi_net.faults.diagnose import shorten
from sipelangi_net.faults.models import FaultActor, FaultRecord, FaultTicket
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.outputs import Skipped


def opd_plans(
    fault: FaultTicket, tickets: Iterable[Ticket], *, skipped: list[Skipped] | None = None
) -> dict[str, Provisioned]:
    """Per OPD of the fault, its latest provisioned installation plan (from the fault's tickets
    when it lists any); an OPD with none is left out."""
    chosen = [t for t in tickets if not fault.tickets or t.id in fault.tickets]
    out: dict[str, Provisioned] = {}
    for done in provisioned(chosen, skipped=skipped):  # oldest first: the latest stays
        if done.plan.site in fault.opds:
            out[done.plan.site] = done
    return out


def gateways(plans: Mapping[str, Provisioned]) -> dict[str, str]:
    """Per OPD, its gateway address (from its plan), for the diagnosis' ping."""
    return {
        opd: str(p.plan.addressing.gateway.ip) for opd, p in plans.items() if p.plan.addressing is not None
    }


@dataclass(frozen=True, slots=True)
class OpdRetest:
    opd: str
    ticket_id: str | None
    result: BwResult | None = None
    error: str = ""

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.passed and not self.error

    @property
    def reason(self) -> str:
        return self.error or (self.result.reason if self.result else "not measured")

    def to_json(self) -> dict[str, Any]:
        return {
            "opd": self.opd,
            "ticket": self.ticket_id,
            "passed": self.passed,
            "reason": self.reason,
            "bwtest": self.result.model_dump(mode="json") if self.result else None,
        }


@dataclass(frozen=True, slots=True)
class Retest:
    fault: str
    environment: str
    at: dt.datetime
    opds: tuple[OpdRetest, ...]

    @property
    def passed(self) -> bool:
        return bool(self.opds) and all(o.passed for o in self.opds)

    @property
    def summary(self) -> str:
        if self.passed:
            detail = "; ".join(f"{o.opd}: {o.reason}" for o in self.opds)
            return f"{self.fault}: re-test passed ({detail})"
        failed = "; ".join(f"{o.opd}: {o.reason}" for o in self.opds if not o.passed)
        return f"{self.fault}: re-test failed ({failed})"

    def to_json(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "environment": self.environment,
            "at": self.at.isoformat(),
            "passed": self.passed,
            "summary": self.summary,
            "opds": [o.to_json() for o in self.opds],
        }

    def record(self, actor: FaultActor) -> FaultRecord:
        return FaultRecord(
            kind="retest", at=self.at, actor=actor, summary=shorten(self.summary), outputs=self.to_json()
        )


def retest(
    fault: FaultTicket,
    plans: Mapping[str, Provisioned],
    measure: Callable[[Plan], BwRun],
    *,
    environment: str,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Retest:
    """Measure each OPD of ``fault`` against its plan (``measure``: the environment's step-8 test).

    A test that cannot be made (no plan, no OPD host on the lab, a tool missing) is that OPD's
    failure, not the run's; the others are still measured."""
    if not fault.opds:
        raise IncompleteTicketError(
            f"{fault.label}: names no OPD: a re-test measures an OPD against its plan"
            f" (see: fault show {fault.label})"
        )
    at = now()
    out = []
    for opd in fault.opds:
        done = plans.get(opd)
        if done is None:
            out.append(
                OpdRetest(opd, None, error=f"no provisioned installation ticket with a plan for {opd}")
            )
            continue
        try:
            run = measure(done.plan)
        except SipelangiError as exc:
            out.append(OpdRetest(opd, done.ticket_id, error=f"test not made: {exc}"))
            continue
        out.append(OpdRetest(opd, done.ticket_id, run.result))  # the verdict fails a test with errors
    return Retest(fault.label, environment, at, tuple(out))
