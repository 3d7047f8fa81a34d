"""Shared fixtures of the unit tier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from inventory_edit import copy_inventory
from kea_server import LocalKea, running_kea


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


@pytest.fixture(scope="session")
def local_kea(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKea]:
    """A real Kea DHCPv4 server and Control Agent on 127.0.0.1 for the session (tests/unit/kea_server.py):
    the central DHCP server of the changes whose gateway relays, and of the Kea client's tests."""
    with running_kea(tmp_path_factory.mktemp("kea")) as started:
        yield started
