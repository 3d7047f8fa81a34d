"""How a command reports the tickets it left out because their stored record is malformed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import typer


def report_skipped(skipped: Iterable[Any]) -> list[dict[str, str]]:
    """Warn on stderr about each skipped ticket (``tickets.outputs.Skipped``); their JSON for ``--json``."""
    from sipelangi_net.validate import printable

    listed = []
    for s in skipped:
        typer.echo(f"warning: skipped ticket {s.ticket_id}: {printable(s.reason)}", err=True)
        listed.append(s.to_json())
    return listed
