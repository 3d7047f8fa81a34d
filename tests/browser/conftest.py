"""The browser tier: the pages in a real browser, Debian's Chromium driven headless by Playwright.

One ``sipelangi-net serve`` (the console script on a loopback port, as tests/unit/api_server.py
starts it) with a temporary database holding one account per role with a password
(tests/unit/pages_world.py), one browser for the session, and a fresh context (its own cookies)
per role and test. The browser is the system's ``chromium`` (``./dev.sh setup`` installs
it): Playwright never downloads one (``PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1``; nobody runs ``playwright
install``). Every page a test visits is saved as a screenshot under
``$SIPELANGI_SCREENSHOTS`` (default: ``screenshots/`` in pytest's temporary folder, kept for the
last three runs; named in the test's report), never in the repository.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))  # the server helpers

from api_server import running_server
from pages_world import PDF, make_people

from tests.browser.browsing import Person, Site, chromium


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("pages-server")
    make_people(base / "tickets.db")
    letter = base / "surat-permohonan-dinkes.pdf"
    letter.write_bytes(PDF)
    shots = Path(os.environ.get("SIPELANGI_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with running_server(base) as server:
        yield Site(server, letter, shots)


@pytest.fixture(scope="package")  # not the session: see browsing.chromium
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def person(browser: Any, site: Site, request: pytest.FixtureRequest) -> Iterator[Callable[..., Person]]:
    """``person("budi")``: a new context logged in as that account (``phone=True``: 360 px wide)."""
    made: list[Person] = []

    def make(username: str, *, phone: bool = False, log_in: bool = True) -> Person:
        made.append(Person(browser, site, username, request.node.name, phone=phone))
        return made[-1].log_in() if log_in else made[-1]

    try:
        yield make
    finally:
        for p in made:
            p.close()
