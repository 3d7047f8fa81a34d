"""Run a playbook against a ticket: steps in order, one run per ticket at a time, a summary at the end.

The run holds the ticket's lock from the first step to the last; the deploy step adds the locks
of the devices it touches. The locks are the run's coordinator's (sipelangi_net.coordination: this
machine's, and with a SiPelangi server its leases too); a lease lost meanwhile stops the run
before its next step. A step that raises one of the toolkit's errors
ends the run as ``failed`` with the error kept for the exit code; a step that pauses (waiting
for signatures or a notification channel) or stops (not confirmed, dry run) ends it too. Running
the same playbook again continues from the first step whose SOP record is not complete.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sipelangi_net.errors import SipelangiError
from sipelangi_net.playbook.actions import ACTIONS, Action
from sipelangi_net.playbook.context import IO_KINDS, Outcome, RunContext, State, stopped
from sipelangi_net.playbook.model import Playbook
from sipelangi_net.tickets.sop import STEP_BY_NUMBER

EXIT_PAUSED = 75
"""Exit status of a run that waits for people (signatures) or for a channel: run it again later."""


@dataclass(frozen=True, slots=True)
class StepRun:
    name: str
    action: str
    state: State
    detail: str
    seconds: float
    sop_step: int | None = None
    standard_s: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunSummary:
    playbook: str
    ticket_id: str
    state: State = "done"
    status: str = ""
    """The ticket's status at the end."""
    steps: list[StepRun] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)
    error: SipelangiError | None = None

    @property
    def overhead_s(self) -> float:
        """The tool's own time: everything but device I/O, the bandwidth test, documents, mail, waits."""
        return max(0.0, self.seconds - sum(self.timings.get(k, 0.0) for k in IO_KINDS))

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        return {"done": 0, "skipped": 0, "stopped": 0, "paused": EXIT_PAUSED}.get(self.state, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook,
            "ticket": self.ticket_id,
            "state": self.state,
            "status": self.status,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()}
            | {"overhead": round(self.overhead_s, 3)},
            "documents": self.documents,
            "error": str(self.error) if self.error else "",
            "steps": [asdict(s) | {"seconds": round(s.seconds, 3)} for s in self.steps],
        }


def _step(
    ctx: RunContext, book: Playbook, index: int, actions: Mapping[str, Action]
) -> tuple[StepRun, SipelangiError | None]:
    step = book.steps[index]
    ctx.reporter.step_started(step.name)
    t0 = time.monotonic()
    error = None
    try:
        outcome = actions[step.action].fn(ctx, dict(step.options))
    except SipelangiError as exc:
        outcome, error = Outcome("failed", str(exc)), exc
    if outcome.state == "done" and ctx.options.dry_run and step.stop_on_dry_run:
        outcome = stopped(f"{outcome.detail}; dry run: stopping here, nothing was changed", **outcome.data)
    seconds = time.monotonic() - t0
    ctx.reporter.step_finished(step.name, outcome, seconds)
    standard = STEP_BY_NUMBER[step.sop_step].standard_s if step.sop_step else None
    run = StepRun(
        step.name, step.action, outcome.state, outcome.detail, seconds, step.sop_step, standard, outcome.data
    )
    return run, error


def _checked_step(
    ctx: RunContext, book: Playbook, index: int, actions: Mapping[str, Action]
) -> tuple[StepRun, SipelangiError | None]:
    """The step, unless a lock of the run was lost meanwhile (then it fails, having done nothing)."""
    try:
        ctx.coordinator.check()
    except SipelangiError as exc:
        step = book.steps[index]
        return StepRun(step.name, step.action, "failed", str(exc), 0.0, step.sop_step), exc
    return _step(ctx, book, index, actions)


def run_playbook(
    book: Playbook,
    ctx: RunContext,
    *,
    started: float | None = None,
    actions: Mapping[str, Action] = ACTIONS,
) -> RunSummary:
    """Run ``book`` for ``ctx.ticket_id``; ``started``: when the process began (for the overhead)."""
    t_start = started if started is not None else time.monotonic()
    summary = RunSummary(book.name, ctx.ticket_id or "")
    lock = [("ticket", ctx.ticket_id) if ctx.ticket_id else ("playbook", book.name)]
    purpose = f"{book.name} {ctx.ticket_id or ''}".strip()
    with ctx.coordinator.holding(lock, purpose=purpose, wait=ctx.options.lock_wait), ctx.held:
        for index in range(len(book.steps)):
            run, error = _checked_step(ctx, book, index, actions)
            summary.steps.append(run)
            if run.state in ("failed", "paused", "stopped"):
                summary.state, summary.error = run.state, error
                break
        summary.status = ctx.ticket().status if ctx.ticket_id else ""
    summary.seconds = time.monotonic() - t_start
    summary.timings = dict(ctx.timings)
    summary.documents = dict(ctx.documents)
    return summary
