"""Issue 16's main check: one request through the whole SOP on the lab, in five browser sessions.

A real ``sipelangi-net serve`` on loopback (its database holds a password account per role) whose
environment reaches the lab as the lab tests' CLI runs do (``SIPELANGI_ENV=lab``, the lab's
secrets) and a local SMTP server (aiosmtpd). Five Chromium contexts, one per role, click and type:
the pemohon submits the Surat Permohonan with its signed PDF, the helpdesk forwards it, the Kepala
Dinas approves it from the inbox (the Lembar Disposisi link appears), the Tim Kerja starts
provisioning from the work page (the real ``provision`` job on the lab's FRR and Open vSwitch),
which stops before the agreed slot with nothing pushed (the city's calendar puts it days ahead) and
is continued with the reason the requester agreed to an earlier start ("Pasang di luar slot",
the CLI's ``--now --reason``, kept on step 7), then stops for the signed berita acara; the Tim Kerja
uploads it (step 9) and continues (step 10, the report), the Kepala Bidang acknowledges the report
and the helpdesk closes the ticket (step 11). The server delivers the closing notice by itself
(``serve --deliver-every``) and records step 12. The pemohon then sees the closed ticket and its
notice; the mail is in the SMTP server. A screenshot of every page is kept
(``SIPELANGI_SCREENSHOTS`` or the test's temporary folder). The lab is rebuilt at day-0 afterwards.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))  # the server helpers

from api_server import open_local, running_server
from pages_world import PDF, make_people

from sipelangi_net.paths import lab_dir
from tests.browser.browsing import Person, Site, approve, chromium, press_in_row
from tests.lab.conftest import ROOT, cli
from tests.lab.mail import Mailbox, smtp_server

pytestmark = pytest.mark.browser

PIC_EMAIL = "budi@dinkes.pangkalpinangkota.go.id"
PEMOHON_NIP = "197908212005012003"
EARLY = "Pemohon setuju pemasangan dimajukan (surel PIC 1 Desember)"
CLOSED_SUBJECT = "Tiket ditutup: jaringan intra Dinas Kesehatan (Dinkes) telah terpasang"
JOB_TIMEOUT_MS = 150_000


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as served:
        yield served


@pytest.fixture
def day0_after(lab: dict[str, Any]) -> Iterator[None]:
    """The walk leaves Dinkes installed; the lab is rebuilt at day-0 afterwards, as the session's
    other lab tests expect it."""
    try:
        yield
    finally:
        cli("lab", "up", "--fresh", timeout=180)


@pytest.fixture
def site(
    tmp_path: Path, day0_after: None, mailbox: tuple[Mailbox, int], request: pytest.FixtureRequest
) -> Iterator[Site]:
    base = tmp_path / "server"
    base.mkdir()
    make_people(base / "tickets.db")
    letter = tmp_path / "surat-permohonan-dinkes.pdf"
    letter.write_bytes(PDF)
    shots = Path(os.environ.get("SIPELANGI_SCREENSHOTS") or tmp_path / "screenshots")
    env = {
        "SIPELANGI_ENV": "lab",
        "SIPELANGI_SECRETS": str(lab_dir() / "secrets.yaml"),
        "SIPELANGI_OFFICIALS": str(ROOT / "inventory" / "officials.example.yaml"),
        "SIPELANGI_LOCKS": str(tmp_path / "locks"),
        "SIPELANGI_SMTP_HOST": "127.0.0.1",
        "SIPELANGI_SMTP_PORT": str(mailbox[1]),
    }
    with running_server(base, env=env, args=("--deliver-every", "1")) as server:
        yield Site(server, letter, shots)
    print(f"screenshots: {shots / request.node.name}")


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def submit(budi: Person, letter: Path) -> str:
    page = budi.page
    page.get_by_role("link", name="Ajukan permohonan").first.click()
    page.get_by_label("Lokasi").select_option("dinkes")
    page.get_by_label("Jumlah pengguna").fill("25")
    page.get_by_label("SIMPEG", exact=False).check()
    page.get_by_label("Nomor surat").fill("005/901/DINKES/XII/2026")
    page.get_by_label("Tanggal surat").fill("2026-11-30")
    page.get_by_label("Surat permohonan bertanda tangan", exact=False).set_input_files(str(letter))
    page.get_by_label("Telepon PIC").fill("+62 812 7000 1234")
    page.get_by_label("Surel PIC").fill(PIC_EMAIL)
    budi.shot("formulir")
    page.get_by_role("button", name="Ajukan permohonan").click()
    page.wait_for_url(re.compile(r"/tiket/SPL-\d{4}-\d{5}"))
    budi.shot("diajukan")
    found = re.search(r"SPL-\d{4}-\d{5}", page.url)
    assert found, page.url
    return found.group(0)


def run_job(andi: Person, ticket_id: str, button: str, name: str, *, early: str = "") -> str:
    """Click the provisioning button (``early``: the reason to install outside the agreed slot); follow
    the page until the job ended; its status line."""
    page = andi.page
    page.goto(f"/kerja/{ticket_id}")
    if early:
        page.get_by_text("Pasang di luar slot yang disepakati").click()
        page.get_by_label("Alasan", exact=False).fill(early)
        andi.shot(f"{name}-alasan")
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"**/kerja/{ticket_id}")
    andi.shot(f"{name}-berjalan")
    # the page's script polls the progress and reloads the page once the run ended
    page.wait_for_function(
        "() => { const s = document.querySelector('#status-pekerjaan-teks');"
        " return s && !s.textContent.includes('sedang berjalan'); }",
        timeout=JOB_TIMEOUT_MS,
    )
    page.wait_for_load_state()
    andi.shot(f"{name}-selesai")
    return page.locator("#status-pekerjaan-teks").inner_text()


def job_log(andi: Person) -> str:
    return andi.page.locator("#log-pekerjaan").inner_text()


def ticket_of(site: Site, ticket_id: str) -> Any:
    store = open_local(site.server.db)
    try:
        return store.get(ticket_id)
    finally:
        store.close()


def status_of(site: Site, ticket_id: str) -> str:
    return str(ticket_of(site, ticket_id).status)


def provision_through_the_slot(andi: Person, site: Site, ticket_id: str) -> str:
    """Steps 4-8 from the work page: the first run stops before the agreed slot (days ahead on the
    city's calendar) with nothing pushed; the requester agreed to an earlier start, so the Tim Kerja
    continues with the reason, which is kept on step 7."""
    state = run_job(andi, ticket_id, "Mulai provisioning", "provisi-1")
    assert status_of(site, ticket_id) == "scheduled", f"{state}\n{job_log(andi)}"
    assert "menunggu" in state and "kode keluar 75" in state, job_log(andi)
    assert "agreed installation slot" in job_log(andi) and "nothing was pushed" in job_log(andi)
    return run_job(andi, ticket_id, "Lanjutkan provisioning", "provisi-2", early=EARLY)


@pytest.mark.timeout(540)
def test_one_request_walks_the_whole_sop_in_five_browser_sessions(
    browser: Any, site: Site, mailbox: tuple[Mailbox, int], request: pytest.FixtureRequest
) -> None:
    people: list[Person] = []

    def person(username: str, *, phone: bool = False) -> Person:
        people.append(Person(browser, site, username, request.node.name, phone=phone))
        return people[-1].log_in()

    try:
        walk(person, site, mailbox)
    finally:
        for p in people:
            p.close()


def walk(person: Any, site: Site, mailbox: tuple[Mailbox, int]) -> None:
    box, _ = mailbox
    budi, rina, kadis = person("budi", phone=True), person("rina"), person("kadis", phone=True)
    andi, kabid = person("andi"), person("kabid")
    # 1. the pemohon's Surat Permohonan
    ticket_id = submit(budi, site.letter)

    # 2. the helpdesk forwards it to the Kepala Dinas
    rina.page.goto("/helpdesk")
    rina.shot("antrean")
    press_in_row(rina, ticket_id, "Teruskan ke Kepala Dinas", "**/helpdesk")
    rina.shot("diteruskan")

    # 3. the Kepala Dinas approves it from the inbox; the Lembar Disposisi is there
    kadis.page.goto("/disposisi")
    kadis.shot("kotak-masuk")
    kadis.page.get_by_role("link", name=ticket_id).click()
    approve(kadis, ticket_id)
    assert kadis.page.get_by_role("link", name="Unduh Lembar Disposisi (PDF)").is_visible()
    kadis.shot("disetujui")

    # 4-8. the Tim Kerja provisions from the work page: the real playbook on the lab
    andi.page.goto("/kerja")
    andi.shot("daftar-pekerjaan")
    andi.page.get_by_role("link", name=ticket_id).click()
    andi.page.wait_for_url(f"**/kerja/{ticket_id}")
    andi.shot("halaman-kerja")
    state = provision_through_the_slot(andi, site, ticket_id)
    assert status_of(site, ticket_id) == "tested", f"{state}\n{job_log(andi)}"
    assert "menunggu" in state and "waiting for the signed berita acara" in job_log(andi), job_log(andi)
    installed = [e for e in ticket_of(site, ticket_id).events if e.step == 7 and e.outcome == "done"]
    assert len(installed) == 1 and EARLY in json.dumps(installed[0].outputs), installed
    page = andi.page
    assert page.get_by_role("img", name="Grafik target dan hasil uji bandwidth").is_visible()
    assert page.get_by_text(re.compile(r"^Lulus: ")).is_visible()  # not "Tidak lulus"

    # 9. the pemohon agrees to the berita acara on their ticket page; the Tim Kerja uploads the scan
    budi.page.goto(f"/tiket/{ticket_id}")
    budi.page.get_by_label("NIP (18 angka)").fill(PEMOHON_NIP)
    budi.page.get_by_label("sudah saya periksa", exact=False).check()
    budi.shot("setujui-berita-acara")
    budi.page.get_by_role("button", name="Setujui berita acara").click()
    budi.page.wait_for_url(f"**/tiket/{ticket_id}")
    assert budi.page.get_by_text("Disetujui oleh", exact=False).is_visible()
    budi.shot("berita-acara-disetujui")
    page.goto(f"/kerja/{ticket_id}")
    assert page.get_by_label("NIP pemohon", exact=False).input_value() == PEMOHON_NIP
    page.get_by_label("NIP Tim Kerja", exact=False).fill("198503152010011002")
    page.get_by_label("Pindaian berita acara", exact=False).set_input_files(str(site.letter))
    andi.shot("berita-acara")
    page.get_by_role("button", name="Unggah berita acara").click()
    page.wait_for_url(f"**/kerja/{ticket_id}")
    assert page.get_by_text("Berita acara sudah dicatat").is_visible()
    andi.shot("berita-acara-dicatat")

    # 10. the run goes on: the installation report; the close is the helpdesk's (the run waits)
    state = run_job(andi, ticket_id, "Lanjutkan provisioning", "provisi-laporan")
    assert status_of(site, ticket_id) == "reported", f"{state}\n{job_log(andi)}"
    kabid.page.goto("/laporan")
    kabid.shot("laporan")
    press_in_row(kabid, ticket_id, "Terima laporan", "**/laporan")
    kabid.shot("laporan-diterima")
    assert status_of(site, ticket_id) == "acknowledged"

    # 11. the helpdesk closes the ticket
    rina.page.goto("/helpdesk")
    rina.shot("antrean-tutup")
    press_in_row(rina, ticket_id, "Tutup tiket", "**/helpdesk")
    rina.shot("ditutup")
    closed = [e for e in ticket_of(site, ticket_id).events if e.step == 11 and e.outcome == "done"]
    assert len(closed) == 1 and closed[0].account is not None and closed[0].account.username == "rina"

    # 12. the closing notice: the server delivers its outbox by itself and records the step
    deadline = time.monotonic() + 30
    while status_of(site, ticket_id) != "notified" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status_of(site, ticket_id) == "notified", site.server.log.read_text(errors="replace")
    to_pic = [m["Subject"] for m in box.messages if m["To"] == PIC_EMAIL]
    closing = [m for m in box.messages if m["Subject"] == f"[SiPelangi {ticket_id}] {CLOSED_SUBJECT}"]
    assert len(closing) == 1 and closing[0]["To"] == PIC_EMAIL, to_pic
    assert f"Tiket {ticket_id} telah ditutup" in closing[0].get_content(), closing[0].get_content()

    # the pemohon sees the closed ticket and its closing notice
    budi.page.goto(f"/tiket/{ticket_id}")
    assert budi.page.get_by_role("heading", name="Pemberitahuan penutupan").is_visible()
    budi.shot("ditutup-pemberitahuan")
    budi.page.get_by_role("link", name="Permohonan saya").click()
    assert budi.page.get_by_role("link", name=ticket_id).is_visible()
    budi.shot("permohonan-saya")
