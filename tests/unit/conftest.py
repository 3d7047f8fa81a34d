"""Shared fixtures of the unit tier."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_edit import copy_inventory


@pytest.fixture
def inv_dir(tmp_path: Path) -> Path:
    """A private, writable copy of the shipped inventory."""
    return copy_inventory(tmp_path / "inventory")


@pytest.fixture(autouse=True)
def audit_anchors(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own audit key and checkpoint file (never the user's or the repository's),
    and its own reports folder (``ticket approve`` writes a Lembar Disposisi)."""
    base = tmp_path_factory.mktemp("audit")
    monkeypatch.setenv("SIPELANGI_AUDIT_KEY", str(base / "audit.key"))
    monkeypatch.setenv("SIPELANGI_CHECKPOINTS", str(base / "checkpoints.jsonl"))
    monkeypatch.setenv("SIPELANGI_REPORTS", str(base / "reports"))
    return base
