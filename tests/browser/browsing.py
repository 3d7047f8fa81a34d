"""The browser tier's people: the running site and a role's browser context (see conftest.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from api_server import Server
from pages_world import PASSWORD

CHROMIUM = shutil.which("chromium")
"""Debian's Chromium (``./dev.sh setup`` installs it; sipelangi_net/programs.txt lists it)."""
FLAGS = (
    "--no-sandbox",  # the tests may run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PHONE = {"width": 360, "height": 740}


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, under Playwright's sync API; the test is skipped without it.

    Playwright's sync API keeps an event loop running in this thread while it is open: a fixture
    using this must not outlive its package (later tests call ``asyncio.run()``)."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: ./dev.sh setup installs Debian's chromium")
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(FLAGS))
        try:
            yield browser
        finally:
            browser.close()


def press_in_row(person: Person, ticket_id: str, button: str, then: str) -> None:
    """Press ``button`` in the list row of ``ticket_id`` and wait for the page ``then``."""
    page = person.page
    row = page.locator("li", has=page.get_by_role("link", name=ticket_id))
    row.get_by_role("button", name=button).click()
    page.wait_for_url(then)


def approve(kadis: Person, ticket_id: str) -> None:
    """The Kepala Dinas approves ``ticket_id`` from its decision page with a consideration."""
    page = kadis.page
    page.get_by_label("Setujui").check()
    page.get_by_label("Pertimbangan", exact=False).fill("Sesuai kebutuhan layanan kesehatan.")
    kadis.shot("keputusan")
    page.get_by_role("button", name="Simpan keputusan").click()
    page.wait_for_url(f"**/disposisi/{ticket_id}")
    assert page.locator("strong.status").inner_text() == "disetujui"


DESKTOP = {"width": 1280, "height": 800}


@dataclass
class Site:
    """The running server and what the tests share: its URL, database and a PDF letter to upload."""

    server: Server
    letter: Path
    shots: Path
    tickets: dict[str, str] = field(default_factory=dict)
    shots_taken: dict[str, int] = field(default_factory=dict)
    """Per test, the screenshots taken so far (they are numbered in the order of the test's flow)."""

    @property
    def url(self) -> str:
        return self.server.url


class Person:
    """One role's browser context and page, logged in through the login page as a person would."""

    def __init__(self, browser: Any, site: Site, username: str, test: str, *, phone: bool) -> None:
        self.site = site
        self.username = username
        self.test = test
        self.context = browser.new_context(
            base_url=site.url,
            viewport=PHONE if phone else DESKTOP,
            locale="id-ID",
            timezone_id="Asia/Jakarta",
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()

    def log_in(self) -> Person:
        page = self.page
        page.goto("/masuk")
        page.get_by_label("Nama pengguna").fill(self.username)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        self.shot("masuk")
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_load_state()
        assert "/masuk" not in page.url, page.content()[:2000]
        return self

    def shot(self, name: str) -> Path:
        """Save the page as it is now (the whole page) among the test's screenshots."""
        count = self.site.shots_taken[self.test] = self.site.shots_taken.get(self.test, 0) + 1
        path = self.site.shots / self.test / f"{count:02d}-{self.username}-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()
