"""Live progress of a run: Rich lines for people (stderr), JSON lines for scripts (stdout)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import IO, Any

from sipelangi_net.cli.output import json_text, line, styled
from sipelangi_net.playbook.context import Outcome

MARKS = {"done": ("✓", "green"), "skipped": ("-", "dim"), "failed": ("✗", "red"), "paused": ("‖", "yellow"),
         "stopped": ("■", "yellow")}  # fmt: skip


class RichReporter:
    """One line per step as it starts and ends, and one per device the step touched (on stderr).

    Step names come from the playbook file, details and devices from the run: all shown as text.
    """

    def step_started(self, name: str) -> None:
        line(styled(f"… {name}", "dim"), err=True)

    def step_finished(self, name: str, outcome: Outcome, seconds: float) -> None:
        mark, colour = MARKS[outcome.state]
        line(
            styled(mark, colour), " ", styled(name, "bold"), " ", styled(f"{seconds:.1f} s", "dim"),
            f"  {outcome.detail}", err=True,
        )  # fmt: skip

    def device(self, step: str, device: str, state: str) -> None:
        line(f"    {device}: {state}", err=True)


class JsonLinesReporter:
    """One JSON object per event on ``stream``, flushed at once (``--json``)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def emit(self, event: str, **fields: Any) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        record = {"event": event, "time": now, **fields}
        self.stream.write(json_text(record, indent=None, default=str) + "\n")
        self.stream.flush()

    def step_started(self, name: str) -> None:
        self.emit("step_started", step=name)

    def step_finished(self, name: str, outcome: Outcome, seconds: float) -> None:
        self.emit(
            "step_finished", step=name, state=outcome.state, detail=outcome.detail, seconds=round(seconds, 3)
        )

    def device(self, step: str, device: str, state: str) -> None:
        self.emit("device", step=step, device=device, state=state)
