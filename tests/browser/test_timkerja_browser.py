"""The Tim Kerja's pages in a real browser: from the work list to a tested ticket's work page (the plan,
the bandwidth chart) at phone width, and the signed berita acara uploaded through its form."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

import pytest
from api_server import open_local
from test_policy import at_status

from sipelangi_net.server.pages.jobs import Jobs
from tests.browser.browsing import Person, Site

pytestmark = pytest.mark.browser


def test_the_tim_kerja_opens_the_work_page_and_uploads_the_signed_berita_acara(
    person: Callable[..., Person], site: Site
) -> None:
    store = open_local(site.server.db)
    try:
        ticket_id = at_status(store, "tested").id
    finally:
        store.close()
    andi = person("andi", phone=True)
    page = andi.page
    assert page.url.endswith("/kerja")
    andi.shot("pekerjaan")
    page.get_by_role("link", name=ticket_id).click()
    page.wait_for_url(f"**/kerja/{ticket_id}")
    assert page.get_by_role("heading", name="Rencana analisis (langkah 4)").is_visible()
    assert page.get_by_role("img", name="Grafik target dan hasil uji bandwidth").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    andi.shot("halaman-kerja")
    page.get_by_label("NIP Tim Kerja", exact=False).fill("198501012010011001")
    page.get_by_label("NIP pemohon", exact=False).fill("199002022015022002")
    page.get_by_label("Pindaian berita acara", exact=False).set_input_files(str(site.letter))
    page.get_by_role("button", name="Unggah berita acara").click()
    page.wait_for_url(f"**/kerja/{ticket_id}")
    assert page.get_by_text("Berita acara sudah dicatat").is_visible()
    andi.shot("berita-acara-dicatat")
    store = open_local(site.server.db)
    try:
        assert store.get(ticket_id).status == "handed_over"
    finally:
        store.close()


def test_the_work_page_follows_a_running_job_with_its_packaged_script(
    person: Callable[..., Person], site: Site
) -> None:
    store = open_local(site.server.db)
    try:
        ticket_id = at_status(store, "approved").id
    finally:
        store.close()
    jobs = Jobs(site.server.db.parent / "pekerjaan")
    script = "echo 'langkah pertama'; sleep 3; echo 'selesai dengan galat'; exit 1"
    jobs.start(
        ticket_id, "provision", ["sh", "-c", script], username="andi", env=dict(os.environ),
        now=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    andi = person("andi")
    page = andi.page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/kerja/{ticket_id}")
    assert page.locator("#status-pekerjaan-teks").inner_text() == "sedang berjalan"
    andi.shot("berjalan")
    # the script polls the JSON and reloads the page once the run ended (CSP allows only our own script)
    page.locator("#status-pekerjaan.gagal").wait_for(timeout=15_000)
    assert "kode keluar 1" in page.locator("#status-pekerjaan-teks").inner_text()
    assert "selesai dengan galat" in page.locator("#log-pekerjaan").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    andi.shot("gagal")
