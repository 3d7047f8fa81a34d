"""Live progress of a run: Rich lines for people (stderr), JSON lines for scripts (stdout)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import IO, Any

from sipelangi_net.playbook.context import Outcome

MARKS = {"done": "[green]✓[/]", "skipped": "[dim]-[/]", "failed": "[red]✗[/]", "paused": "[yellow]‖[/]",
         "stopped": "[yellow]■[/]"}  # fmt: skip


class RichReporter:
    """One line per step as it starts and ends, and one per device the step touched."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)

    def step_started(self, name: str) -> None:
        self.console.print(f"[dim]… {name}[/]")

    def step_finished(self, name: str, outcome: Outcome, seconds: float) -> None:
        from rich.markup import escape

        head = f"{MARKS[outcome.state]} [bold]{name}[/] [dim]{seconds:.1f} s[/]"
        self.console.print(f"{head}  {escape(outcome.detail)}")

    def device(self, step: str, device: str, state: str) -> None:
        from rich.markup import escape

        self.console.print(f"    {escape(device)}: {escape(state)}")


class JsonLinesReporter:
    """One JSON object per event on ``stream``, flushed at once (``--json``)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def emit(self, event: str, **fields: Any) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        record = {"event": event, "time": now, **fields}
        self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.stream.flush()

    def step_started(self, name: str) -> None:
        self.emit("step_started", step=name)

    def step_finished(self, name: str, outcome: Outcome, seconds: float) -> None:
        self.emit(
            "step_finished", step=name, state=outcome.state, detail=outcome.detail, seconds=round(seconds, 3)
        )

    def device(self, step: str, device: str, state: str) -> None:
        self.emit("device", step=step, device=device, state=state)
