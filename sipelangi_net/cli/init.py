"""``sipelangi-net init DIR``: a new workspace (docs/workspace.md)."""

from __future__ import annotations

from pathlib import Path

import typer


def init_command(
    folder: Path = typer.Argument(..., help="The workspace folder to create (or an empty one to fill)."),
) -> None:
    """Create a workspace: the example inventory to edit, the playbooks, template overrides, a
    secrets template (0600) and sipelangi-net.yaml. Overwrites nothing."""
    from sipelangi_net.cli.output import say
    from sipelangi_net.workspace import create

    written = create(folder)
    root = written[-1].parent
    say(f"workspace {root}: {len(written)} files written")
    say("next: edit inventory/ for your network, fill in secrets.yaml (username, ssh_key or password,")
    say(f"known_hosts), then run commands from {root} (or pass --workspace {root})")
