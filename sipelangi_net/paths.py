"""Where the toolkit finds its files, overridable by the environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def inventory_dir() -> Path:
    return Path(os.environ.get("SIPELANGI_INVENTORY", PROJECT_ROOT / "inventory"))


def templates_dir() -> Path:
    return Path(os.environ.get("SIPELANGI_TEMPLATES", PROJECT_ROOT / "templates"))


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
    return Path(os.environ.get("SIPELANGI_REPORTS", PROJECT_ROOT / "reports"))


def playbooks_dir() -> Path:
    return Path(os.environ.get("SIPELANGI_PLAYBOOKS", PROJECT_ROOT / "playbooks"))


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
