"""The edge's one choice of where a change is checked from (sipelangi_net.environment)."""

from __future__ import annotations

import os
from typing import Any

from sipelangi_net.environment import Environment, Field
from sipelangi_net.errors import ConfigError


def chosen_environment(inventory: Any) -> Environment:
    """``SIPELANGI_ENV`` (``lab`` or ``field``); unset: the lab when it is up on ``inventory``, else field."""
    from sipelangi_net.lab.environment import LabEnvironment
    from sipelangi_net.lab.runtime import LabPaths, runs_inventory
    from sipelangi_net.paths import lab_dir

    wanted = os.environ.get("SIPELANGI_ENV", "").strip().lower()
    if wanted not in ("", "lab", "field"):
        raise ConfigError(f"SIPELANGI_ENV={wanted!r}: give lab or field")
    paths = LabPaths(lab_dir())
    if wanted == "lab" or (not wanted and runs_inventory(paths, inventory.path)):
        return LabEnvironment(paths)
    return Field()
