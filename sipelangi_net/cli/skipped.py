"""How a command reports the tickets it left out because their stored record is malformed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sipelangi_net.cli.output import say


def report_skipped(skipped: Iterable[Any]) -> list[dict[str, str]]:
    """Warn on stderr about each skipped ticket (``tickets.outputs.Skipped``); their JSON for ``--json``."""
    listed = []
    for s in skipped:
        say(f"warning: skipped ticket {s.ticket_id}: {s.reason}", err=True)
        listed.append(s.to_json())
    return listed
