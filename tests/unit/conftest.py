"""Shared fixtures of the unit tier."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_edit import copy_inventory


@pytest.fixture
def inv_dir(tmp_path: Path) -> Path:
    """A private, writable copy of the shipped inventory."""
    return copy_inventory(tmp_path / "inventory")
