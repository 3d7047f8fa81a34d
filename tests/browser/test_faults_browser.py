"""A fault reported by a person, handled to the end in a real browser (issue 19, item 3): a pemohon
reports "tidak bisa akses SIMPEG" at phone width; the helpdesk sees it in "Antrean gangguan" and
triages it; the Tim Kerja records diagnosed, fixed and verified from its list; the helpdesk closes it;
the pemohon sees it closed with its time to repair and the timeline against the standards."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.browser.browsing import Person, Site

pytestmark = pytest.mark.browser


def act_in_row(person: Person, section: str, label: str, button: str, note: str = "") -> None:
    """In the list's ``section``, on the row of fault ``label``: type ``note``, press ``button``."""
    page = person.page
    row = page.locator(f"#{section} li", has=page.get_by_role("link", name=label))
    if note:
        row.get_by_label("Catatan").fill(note)
    person.shot(f"{section}-{button.split(maxsplit=1)[0].lower()}")
    row.get_by_role("button", name=button).click()
    page.wait_for_url("**/gangguan")


def test_a_pemohon_reports_simpeg_unreachable_and_sees_it_repaired(
    person: Callable[..., Person], site: Site
) -> None:
    budi = person("budi", phone=True)
    page = budi.page
    page.get_by_role("link", name="Laporkan gangguan").first.click()
    page.wait_for_url("**/gangguan/baru")
    page.get_by_label("Tidak bisa akses aplikasi", exact=True).check()
    page.get_by_label("Aplikasi yang tidak dapat diakses", exact=False).select_option("simpeg")
    page.get_by_label("Uraian gangguan", exact=False).fill(
        "Sejak pukul 08.00 SIMPEG tidak dapat dibuka di ruang TU."
    )
    budi.shot("laporan")
    page.get_by_role("button", name="Kirim laporan gangguan").click()
    page.wait_for_url(re.compile(r"/gangguan/GGN-\d{5}\?baru=1$"))
    found = re.search(r"GGN-\d{5}", page.url)
    assert found, page.url
    label = found.group(0)
    assert page.get_by_role("status").inner_text().startswith("Laporan gangguan Anda sudah diterima")
    assert "dilaporkan" in page.locator("strong.status").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    budi.shot("diterima")

    rina = person("rina")
    rina.page.get_by_role("link", name="Antrean gangguan").click()
    rina.page.wait_for_url("**/gangguan")
    row = rina.page.locator("#pilah li", has=rina.page.get_by_role("link", name=label))
    assert "Tidak bisa akses aplikasi SIMPEG" in row.inner_text()
    assert row.get_by_label("Tingkat gangguan").input_value() == "degraded"  # proposed: menurun
    act_in_row(rina, "pilah", label, "Pilah dan teruskan ke Tim Kerja", "Diteruskan ke Tim Kerja jaringan.")
    assert rina.page.locator("#tim-kerja").get_by_role("link", name=label).is_visible()

    andi = person("andi")
    andi.page.get_by_role("link", name="Gangguan", exact=True).click()
    andi.page.wait_for_url("**/gangguan")
    act_in_row(
        andi, "diagnosis", label, "Catat diagnosis", "Sesi ke server SIMPEG terputus di dist-gerunggang."
    )
    act_in_row(andi, "perbaikan", label, "Catat perbaikan", "Aturan akses ke server SIMPEG dipulihkan.")
    act_in_row(andi, "verifikasi", label, "Verifikasi pemulihan", "SIMPEG terbuka dari pc-dinkes.")

    rina.page.goto("/gangguan")
    act_in_row(rina, "tutup", label, "Tutup gangguan")
    assert rina.page.locator("#ditutup").get_by_role("link", name=label).is_visible()

    page.get_by_role("link", name="Gangguan saya").click()
    page.wait_for_url("**/gangguan")
    closed = page.locator("#ditutup li", has=page.get_by_role("link", name=label))
    assert "waktu perbaikan" in closed.inner_text()
    budi.shot("gangguan-saya")
    closed.get_by_role("link", name=label).click()
    page.wait_for_url(f"**/gangguan/{label}")
    assert page.locator("strong.status").inner_text() == "ditutup"
    assert re.fullmatch(r"(< 1 mnt|\d+ mnt)", page.locator("strong.waktu-perbaikan").inner_text())
    timeline = page.locator("ol.linimasa").inner_text()
    for step in (
        "1. Dilaporkan",
        "2. Dipilah",
        "3. Didiagnosis",
        "4. Diperbaiki",
        "5. Pemulihan",
        "6. Ditutup",
    ):
        assert step in timeline
    assert "rina, Helpdesk" in timeline and "andi, Tim Kerja" in timeline and "(standar 4 jam)" in timeline
    assert "Aturan akses ke server SIMPEG dipulihkan." in timeline
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    budi.shot("ditutup")
