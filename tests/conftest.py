"""Test tiers: tests/unit (pure), tests/replay (recorded sessions, golden files), tests/lab (real devices)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update", action="store_true", help="replay tier: re-record fixtures from the running lab"
    )
