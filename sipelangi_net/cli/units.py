"""What a systemd unit or cron entry the CLI writes runs: the program and its working directory."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sipelangi_net.errors import ConfigError

SAFE_PATH = re.compile(r"[A-Za-z0-9_./+-]+")
"""A path a unit's ``ExecStart=``/``WorkingDirectory=`` or a crontab line reads as written."""


def unit_paths(exe: Path | None, workdir: Path | None) -> dict[str, str]:
    """``exe`` (default: this installation's ``sipelangi-net``) and ``workdir`` (default: the
    workspace, where the runs find it) made absolute, for a unit's template; a path a unit or
    crontab would misread is a :class:`ConfigError`."""
    from sipelangi_net.workspace import root

    program = exe or Path(sys.executable).with_name("sipelangi-net")
    folder = (workdir or root()).absolute()
    for name, path in (("--exe", program), ("--workdir", folder)):
        if not SAFE_PATH.fullmatch(str(path)):
            raise ConfigError(f"{name}: {str(path)!r}: use a path of letters, digits and ._/+- only")
    return {"exe": str(program), "workdir": str(folder)}
