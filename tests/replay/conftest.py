"""Replay tier: recorded device output + golden files.

``pytest tests/replay --update`` re-records the device output from the running
lab (``sipelangi-net lab up`` first) and rewrites the golden files.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def update(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update"))
