"""Time against the SOP standard (pure): per step, how long it took and how often within standard."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.sop import STEPS


@dataclass(frozen=True, slots=True)
class StepSla:
    step: int
    title: str
    standard_s: int
    count: int
    median_s: float | None
    within_standard: float | None
    """Share of the step's events (0..1) that took no longer than the standard."""
    breaches: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summarise(
    tickets: Iterable[Ticket], *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[StepSla]:
    """Per SOP step, over events that ended in [since, until)."""
    durations: dict[int, list[float]] = {s.number: [] for s in STEPS}
    for ticket in tickets:
        for event in ticket.events:
            if since is not None and event.ended_at < since:
                continue
            if until is not None and event.ended_at >= until:
                continue
            durations[event.step].append(event.duration_s)
    out = []
    for s in STEPS:
        values = durations[s.number]
        within = sum(1 for v in values if v <= s.standard_s)
        out.append(
            StepSla(
                step=s.number,
                title=s.title,
                standard_s=s.standard_s,
                count=len(values),
                median_s=statistics.median(values) if values else None,
                within_standard=within / len(values) if values else None,
                breaches=len(values) - within,
            )
        )
    return out
