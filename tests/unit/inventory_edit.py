"""Helpers for the unit tests: copy the shipped inventory and break one thing in it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sipelangi_net.workspace import SOURCE_ROOT as PROJECT_ROOT

SHIPPED_INVENTORY = PROJECT_ROOT / "inventory"
TEMPLATES = PROJECT_ROOT / "templates"
INVENTORY_FILES = (
    "defaults.yaml",
    "groups.yaml",
    "hosts.yaml",
    "links.yaml",
    "servers.yaml",
    "sites.yaml",
    "applications.yaml",
)


def copy_inventory(dest: Path) -> Path:
    shutil.copytree(SHIPPED_INVENTORY, dest)
    return dest


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def edit_yaml(path: Path, change: Callable[[Any], Any]) -> None:
    """Load ``path``, let ``change`` mutate the data in place (or return a replacement), write it back."""
    data = read_yaml(path)
    result = change(data)
    write_yaml(path, data if result is None else result)
