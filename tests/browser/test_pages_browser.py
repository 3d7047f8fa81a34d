"""The pages in a real browser: a request from the form to the Kepala Dinas's approval, another
office's ticket, a form without its CSRF token, 360 px without horizontal scroll, labels and the
keyboard (issue 16, "How it is checked", the parts these pages cover)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.browser.browsing import Person, Site, approve, press_in_row

pytestmark = pytest.mark.browser

LETTER_NUMBER = "005/777/DINKES/XI/2026"


def fill_request(p: Person, site: Site, *, notes: str = "") -> str:
    """Fill and send the Surat Permohonan form by clicking and typing; the new ticket's id."""
    page = p.page
    page.get_by_role("link", name="Ajukan permohonan").first.click()
    page.get_by_label("Lokasi").select_option("dinkes")
    page.get_by_label("Jumlah pengguna").fill("25")
    page.get_by_label("SIMPEG", exact=False).check()
    page.get_by_label("Nomor surat").fill(LETTER_NUMBER)
    page.get_by_label("Tanggal surat").fill("2026-11-30")
    page.get_by_label("Surat permohonan bertanda tangan", exact=False).set_input_files(str(site.letter))
    page.get_by_label("Telepon PIC").fill("+62 812 7000 1234")
    page.get_by_label("Surel PIC").fill("budi@dinkes.pangkalpinangkota.go.id")
    page.get_by_label("Catatan", exact=False).fill(notes)
    p.shot("formulir")
    page.get_by_role("button", name="Ajukan permohonan").click()
    page.wait_for_url(re.compile(r"/tiket/SPL-\d{4}-\d{5}"))
    found = re.search(r"SPL-\d{4}-\d{5}", page.url)
    assert found, page.url
    return found.group(0)


def submitted(person: Callable[..., Person], site: Site) -> str:
    """A ticket of Dinkes opened through the form (once per session)."""
    if "dinkes" not in site.tickets:
        budi = person("budi")
        site.tickets["dinkes"] = fill_request(budi, site)
    return site.tickets["dinkes"]


def test_a_pemohon_submits_a_request_and_the_kepala_dinas_approves_it(
    person: Callable[..., Person], site: Site
) -> None:
    budi = person("budi", phone=True)
    ticket_id = fill_request(budi, site, notes="Ruang tata usaha lantai 2.")
    page = budi.page
    assert page.get_by_role("status").inner_text().startswith("Permohonan Anda sudah diajukan")
    assert "diajukan" in page.locator("strong.status").inner_text()
    budi.shot("tiket")
    page.get_by_role("link", name="Permohonan saya").click()
    assert page.get_by_role("link", name=ticket_id).is_visible()
    budi.shot("permohonan-saya")

    rina = person("rina")
    rina.page.goto("/helpdesk")
    rina.shot("antrean")
    press_in_row(rina, ticket_id, "Teruskan ke Kepala Dinas", "**/helpdesk")
    assert rina.page.locator("#disposisi").get_by_role("link", name=ticket_id).is_visible()

    kadis = person("kadis", phone=True)
    kadis.shot("kotak-masuk")
    kadis.page.get_by_role("link", name=ticket_id).click()
    approve(kadis, ticket_id)
    kadis.shot("disetujui")

    page.goto(f"/tiket/{ticket_id}")
    timeline = page.locator("ol.linimasa").inner_text()
    assert "3. Disposisi — disetujui" in timeline and "Ir. Kadis, Kepala Dinas" in timeline
    budi.shot("linimasa")


def test_a_pemohon_cannot_reach_another_opds_ticket(person: Callable[..., Person], site: Site) -> None:
    ticket_id = submitted(person, site)
    sari = person("sari", phone=True)
    for path in (f"/tiket/{ticket_id}", f"/tiket/{ticket_id}/surat", f"/disposisi/{ticket_id}"):
        answer = sari.page.goto(path)
        assert answer is not None and answer.status in (403, 404), path
        text = sari.page.content()
        assert LETTER_NUMBER not in text and "Dinas Kesehatan" not in text
    assert sari.page.get_by_role("heading", level=1).inner_text() == "Tidak diizinkan"  # the Kadis's page
    sari.page.goto(f"/tiket/{ticket_id}")
    assert sari.page.get_by_role("heading", level=1).inner_text() == "Halaman tidak ditemukan"
    sari.shot("tiket-opd-lain")
    sari.page.get_by_role("link", name="Permohonan saya").click()
    assert ticket_id not in sari.page.content()


def test_a_form_without_its_csrf_token_is_refused(person: Callable[..., Person], site: Site) -> None:
    ticket_id = submitted(person, site)
    rina = person("rina")
    rina.page.goto(f"/tiket/{ticket_id}")
    before = rina.page.locator("ol.linimasa li.selesai").count()
    rina.page.goto("/helpdesk")
    rina.page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    rina.page.get_by_role("button", name="Keluar").click()  # the logout form, now without its token
    assert rina.page.get_by_role("heading", level=1).inner_text() == "Formulir ditolak"
    rina.shot("formulir-ditolak")
    rina.page.goto(f"/tiket/{ticket_id}")  # still logged in, nothing recorded
    assert rina.page.locator("ol.linimasa li.selesai").count() == before


def test_pages_at_360_px_have_no_horizontal_scroll(person: Callable[..., Person], site: Site) -> None:
    ticket_id = submitted(person, site)
    paths = {
        "budi": ["/permohonan", "/permohonan/baru", f"/tiket/{ticket_id}", "/tiket/SPL-2020-99999"],
        "kadis": ["/disposisi", f"/disposisi/{ticket_id}", "/tiket"],
        "rina": ["/helpdesk"],
        "kabid": ["/laporan", "/dasbor", "/laporan/bulanan", "/kepatuhan"],
    }
    visitor = person("budi", phone=True, log_in=False)
    visitor.page.goto("/masuk")
    pages = [(visitor, "/masuk")]
    for username, wanted in paths.items():
        p = person(username, phone=True)
        pages += [(p, path) for path in wanted]
    wide = []
    for p, path in pages:
        p.page.goto(path)
        width = p.page.evaluate("document.documentElement.scrollWidth")
        p.shot(path.strip("/").replace("/", "-") or "beranda")
        if width > 360:
            wide.append((path, width))
    assert wide == []


def focused(page: object) -> str:
    return str(page.evaluate("document.activeElement.id"))  # type: ignore[attr-defined]


def test_every_field_has_a_label_and_the_form_works_with_the_keyboard(
    person: Callable[..., Person], site: Site
) -> None:
    budi = person("budi", log_in=False)
    page = budi.page
    unlabelled = """() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.name)"""
    page.goto("/masuk")
    assert page.evaluate(unlabelled) == []
    page.keyboard.type("budi")  # the user name has the focus (autofocus)
    page.keyboard.press("Tab")
    page.keyboard.type("kata-sandi-yang-panjang-sekali-42")
    page.keyboard.press("Enter")
    page.wait_for_url("**/permohonan")
    page.goto("/permohonan/baru")
    assert page.evaluate(unlabelled) == []
    page.locator("#site").focus()
    page.keyboard.press("Tab")
    page.keyboard.type("12")  # Jumlah pengguna
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first application
    for _ in range(page.locator("input[name=applications]").count()):
        page.keyboard.press("Tab")
    page.keyboard.type("005/888/DINKES/XI/2026")  # Nomor surat
    page.keyboard.press("Tab")
    # Tanggal surat: headless Chromium lays a date field out as mm/dd/yyyy whatever the locale
    page.keyboard.type("11302026")
    assert page.locator("#letter_date").input_value() == "2026-11-30"
    for _ in range(3):  # past the field's calendar button
        page.keyboard.press("Tab")
        if focused(page) != "letter_date":
            break
    assert focused(page) == "surat"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")  # the file input opens its chooser from the keyboard
    chooser.value.set_files(str(site.letter))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the PIC's name is filled with the account's
    page.keyboard.type("+62 812 7000 5678")
    page.keyboard.press("Tab")
    page.keyboard.type("budi@dinkes.pangkalpinangkota.go.id")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the notes, to the button
    budi.shot("formulir-papan-ketik")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tiket/SPL-\d{4}-\d{5}"))
    assert "005/888/DINKES/XI/2026" in page.locator("dl.ringkasan").inner_text()
    assert "30-11-2026" in page.locator("dl.ringkasan").inner_text()
    budi.shot("tiket-papan-ketik")
