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
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sipelangi-net"


def lab_dir() -> Path:
    return Path(os.environ.get("SIPELANGI_LAB_DIR", "/run/sipelangi-net/lab"))


def reports_dir() -> Path:
    return Path(os.environ.get("SIPELANGI_REPORTS", PROJECT_ROOT / "reports"))


def playbooks_dir() -> Path:
    return Path(os.environ.get("SIPELANGI_PLAYBOOKS", PROJECT_ROOT / "playbooks"))


def lock_dir() -> Path:
    """Where runs take their locks (tickets, devices): one place per machine."""
    if "SIPELANGI_LOCKS" in os.environ:
        return Path(os.environ["SIPELANGI_LOCKS"])
    if os.geteuid() == 0:
        return Path("/run/lock/sipelangi-net")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "sipelangi-net" / "locks" if runtime else config_dir() / "locks"
