"""Where the toolkit finds its files: the workspace (:mod:`sipelangi_net.workspace`) and the
packaged defaults beneath it, each overridable by the environment."""

from __future__ import annotations

import os
from pathlib import Path

from sipelangi_net.workspace import PLAYBOOKS, TEMPLATES, root


def inventory_dir() -> Path:
    """``SIPELANGI_INVENTORY``, else the workspace's ``inventory/``."""
    env = os.environ.get("SIPELANGI_INVENTORY")
    return Path(env) if env else root() / "inventory"


def template_dirs() -> tuple[Path, ...]:
    """Where templates are looked up, first match wins: ``SIPELANGI_TEMPLATES`` alone, else the
    workspace's ``templates/`` (overrides) then the packaged templates."""
    return TEMPLATES.dirs()


def config_dir() -> Path:
    """Per-user settings (secrets, audit key, API credentials): ``$XDG_CONFIG_HOME/sipelangi-net`` or
    ``~/.config/sipelangi-net`` on Linux; the platform's own folder (platformdirs) on macOS and Windows."""
    import sys

    if sys.platform in ("darwin", "win32"):
        import platformdirs

        return Path(platformdirs.user_config_dir("sipelangi-net", appauthor=False))
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sipelangi-net"


def data_dir() -> Path:
    """Per-user data (the ticket database): ``$XDG_DATA_HOME/sipelangi-net`` or
    ``~/.local/share/sipelangi-net`` on Linux; platformdirs' folder on macOS and Windows."""
    import sys

    if sys.platform in ("darwin", "win32"):
        import platformdirs

        return Path(platformdirs.user_data_dir("sipelangi-net", appauthor=False))
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sipelangi-net"


def lab_dir() -> Path:
    return Path(os.environ.get("SIPELANGI_LAB_DIR", "/run/sipelangi-net/lab"))


def reports_dir() -> Path:
    """``SIPELANGI_REPORTS``, else the workspace's ``reports/``."""
    env = os.environ.get("SIPELANGI_REPORTS")
    return Path(env) if env else root() / "reports"


def playbook_path(name: str) -> Path:
    """The playbook ``name``: ``SIPELANGI_PLAYBOOKS``'s, else the workspace's, else the packaged one."""
    return PLAYBOOKS.path(name)


def lock_dir() -> Path:
    """Where runs take their locks (tickets, devices): one place per machine and user.

    Linux: ``/run/lock/sipelangi-net`` for root, else ``$XDG_RUNTIME_DIR/sipelangi-net/locks``, else
    ``config_dir()/locks``. macOS and Windows: the user's runtime folder (platformdirs) ``/locks``.
    """
    import sys

    if "SIPELANGI_LOCKS" in os.environ:
        return Path(os.environ["SIPELANGI_LOCKS"])
    if sys.platform in ("darwin", "win32"):
        import platformdirs

        return Path(platformdirs.user_runtime_dir("sipelangi-net", appauthor=False)) / "locks"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/run/lock/sipelangi-net")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "sipelangi-net" / "locks" if runtime else config_dir() / "locks"
