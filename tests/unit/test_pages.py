"""The pages' sessions, CSRF, role and OPD checks, uploads and escaping, through the app (Browserless).

The real browser tests of the same pages are in tests/browser/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pages_world import (
    BAPPEDA,
    PDF,
    add_delegation,
    csrf_of,
    log_in,
    open_store,
    pages_server,
    request_form,
    serving,
    submit_request,
)

from sipelangi_net.accounts.models import Delegation
from sipelangi_net.accounts.sessions import REMEMBER_DAYS, WebSessions
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.server.pages.letters import MAX_LETTER_BYTES
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path


class Browserless(httpx.Client):
    """A browser without a browser: its own cookies, on the test's server, following redirects."""

    def __init__(self, *, base_url: str | httpx.URL) -> None:
        super().__init__(base_url=base_url, follow_redirects=True)


OTHERS: list[Browserless] = []


@pytest.fixture
def app_client(base: Path) -> Iterator[Browserless]:
    with serving(pages_server(base)) as url, Browserless(base_url=url) as client:
        try:
            yield client
        finally:
            while OTHERS:
                OTHERS.pop().close()


def client_of(app_client: Browserless) -> Browserless:
    """Another browser on the same server (its own cookies); closed with the test's."""
    OTHERS.append(Browserless(base_url=app_client.base_url))
    return OTHERS[-1]


def session_cookie(answer: httpx.Response) -> str:
    return next(c for c in answer.headers.get_list("set-cookie") if c.startswith("spl_sesi="))


@pytest.fixture
def store(base: Path, app_client: Browserless) -> Iterator[SqliteStore]:
    s = open_store(base / "tickets.db")
    try:
        yield s
    finally:
        s.close()


def test_a_page_without_a_session_leads_to_the_login_and_back(app_client: Browserless) -> None:
    answer = app_client.get("/permohonan", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/masuk?lanjut=/permohonan"
    login = app_client.get("/masuk?lanjut=/permohonan")
    assert 'name="lanjut" value="/permohonan"' in login.text
    assert app_client.get("/masuk?lanjut=//evil.example").text.count("evil.example") == 0


def test_login_sets_an_httponly_lax_cookie_and_lands_on_the_roles_home(app_client: Browserless) -> None:
    answer = log_in(app_client, "budi")
    assert answer.status_code == 303 and answer.headers["location"] == "/permohonan"
    cookie = session_cookie(answer)
    assert "spl_sesi=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie and "Max-Age" not in cookie  # plain http; a pemohon is never remembered
    assert "Permohonan saya" in app_client.get("/permohonan").text
    kadis = client_of(app_client)
    assert log_in(kadis, "kadis").headers["location"] == "/disposisi"


def test_login_refuses_a_wrong_password_and_a_form_without_its_token(app_client: Browserless) -> None:
    form = app_client.get("/masuk")
    wrong = app_client.post("/masuk", data={"csrf": csrf_of(form), "username": "budi", "password": "salah"})
    assert wrong.status_code == 401 and "Nama pengguna atau kata sandi salah" in wrong.text
    forged = app_client.post("/masuk", data={"username": "budi", "password": "x"})
    assert forged.status_code == 403 and "Formulir" in forged.text
    assert "spl_sesi" not in app_client.cookies


def test_an_official_may_be_remembered_on_the_device_a_pemohon_may_not(app_client: Browserless) -> None:
    kadis = log_in(app_client, "kadis", remember=True)
    age = int(session_cookie(kadis).split("Max-Age=")[1].split(";")[0])
    assert REMEMBER_DAYS * 86400 - 60 < age <= REMEMBER_DAYS * 86400
    pemohon = log_in(client_of(app_client), "budi", remember=True)
    assert "Max-Age" not in session_cookie(pemohon)


def test_logout_ends_the_session_on_the_server(app_client: Browserless) -> None:
    log_in(app_client, "budi")
    cookie = app_client.cookies["spl_sesi"]
    token = csrf_of(app_client.get("/permohonan"))
    assert app_client.post("/keluar", data={"csrf": token}, follow_redirects=False).status_code == 303
    replay = client_of(app_client)
    replay.cookies.set("spl_sesi", cookie)
    assert replay.get("/permohonan", follow_redirects=False).status_code == 303  # to the login


def test_a_pemohon_submits_the_form_and_the_letter_is_kept_by_its_hash(
    app_client: Browserless, store: SqliteStore, base: Path
) -> None:
    log_in(app_client, "budi")
    answer = submit_request(app_client)
    assert answer.status_code == 303, answer.text
    ticket_id = answer.headers["location"].split("/")[2].split("?")[0]
    ticket = store.get(ticket_id)
    digest = hashlib.sha256(PDF).hexdigest()
    assert ticket.status == "submitted" and ticket.request.opd == "Dinas Kesehatan (Dinkes)"
    assert ticket.request.letter.scan_sha256 == digest
    assert ticket.events[0].outputs["letter"]["scan_sha256"] == digest
    assert ticket.events[0].account is not None and ticket.events[0].account.username == "budi"
    kept = base / "surat-permohonan" / f"{digest}.pdf"
    assert kept.read_bytes() == PDF and kept.stat().st_mode & 0o777 == 0o600
    assert ticket_id in app_client.get("/permohonan").text
    page = app_client.get(f"/tiket/{ticket_id}")
    assert "Linimasa 12 langkah SOP" in page.text and "Budi Santoso, Pemohon" in page.text
    letter = app_client.get(f"/tiket/{ticket_id}/surat")
    assert letter.content == PDF and letter.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(
    ("pdf", "words"),
    [
        (b"<html>not a pdf</html>", "bukan PDF"),
        (b"", "Unggah surat"),
        (b"%PDF-" + b"0" * MAX_LETTER_BYTES, "besar"),
    ],
)
def test_an_upload_that_is_not_a_small_pdf_is_refused_and_nothing_is_opened(
    app_client: Browserless, store: SqliteStore, base: Path, pdf: bytes, words: str
) -> None:
    log_in(app_client, "budi")
    answer = submit_request(app_client, pdf=pdf)
    assert answer.status_code in (413, 422) and words in answer.text
    assert store.tickets() == []
    assert (
        not any((base / "surat-permohonan").glob("*.pdf")) if (base / "surat-permohonan").exists() else True
    )


def test_a_body_above_the_limit_is_refused_before_any_page(app_client: Browserless) -> None:
    log_in(app_client, "budi")
    answer = submit_request(app_client, pdf=b"%PDF-" + b"0" * (MAX_LETTER_BYTES + 100 * 1024))
    assert answer.status_code == 413


def test_the_form_offers_only_the_pemohons_own_sites_and_refuses_another(
    app_client: Browserless, store: SqliteStore
) -> None:
    log_in(app_client, "budi")
    form = app_client.get("/permohonan/baru").text
    assert 'value="dinkes"' in form and 'value="bappeda"' not in form
    answer = submit_request(app_client, site="bappeda")
    assert answer.status_code == 422 and "Lokasi" in answer.text
    assert store.tickets() == []


def test_a_form_post_without_its_csrf_token_is_refused_and_nothing_recorded(
    app_client: Browserless, store: SqliteStore
) -> None:
    log_in(app_client, "budi")
    answer = submit_request(app_client, with_csrf=False)
    assert answer.status_code == 403 and "tanda keamanan" in answer.text
    other = client_of(app_client)
    log_in(other, "sari")
    stolen = csrf_of(other.get("/permohonan"))  # another session's token is no better
    data = {**request_form(), "csrf": stolen}
    files = {"surat": ("surat.pdf", PDF, "application/pdf")}
    assert app_client.post("/permohonan/baru", data=data, files=files).status_code == 403
    assert store.tickets() == []


def test_another_opds_ticket_is_not_found_like_a_missing_one(
    app_client: Browserless, store: SqliteStore
) -> None:
    log_in(app_client, "budi")
    ticket_id = submit_request(app_client).headers["location"].split("/")[2].split("?")[0]
    sari = client_of(app_client)
    log_in(sari, "sari")
    for path in (f"/tiket/{ticket_id}", f"/tiket/{ticket_id}/surat"):
        theirs = sari.get(path)
        assert theirs.status_code == 404
        assert ticket_id not in theirs.text and "005/123/DINKES" not in theirs.text
    missing = sari.get("/tiket/SPL-2020-99999")
    assert missing.status_code == 404
    assert missing.text.replace("SPL-2020-99999", "X") == theirs.text.replace(ticket_id, "X")
    assert ticket_id not in sari.get("/permohonan").text
    assert sari.get("/tiket/../../etc/passwd").status_code == 404


def test_hostile_ticket_fields_render_as_text(app_client: Browserless, store: SqliteStore) -> None:
    log_in(app_client, "budi")
    answer = submit_request(app_client, notes='<script>alert("x")</script><img src=x onerror=alert(1)>')
    page = app_client.get(answer.headers["location"])
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_each_page_checks_the_role(app_client: Browserless) -> None:
    log_in(app_client, "budi")
    for path in ("/disposisi", "/helpdesk", "/tiket"):
        assert app_client.get(path).status_code == 403, path
    kadis = client_of(app_client)
    log_in(kadis, "kadis")
    for path in ("/permohonan", "/permohonan/baru", "/helpdesk"):
        assert kadis.get(path).status_code == 403, path


def _submitted(app_client: Browserless) -> str:
    pemohon = client_of(app_client)
    log_in(pemohon, "budi")
    return str(submit_request(pemohon).headers["location"].split("/")[2].split("?")[0])


def test_the_helpdesk_forwards_and_the_kepala_dinas_approves_from_the_inbox(
    app_client: Browserless, store: SqliteStore
) -> None:
    ticket_id = _submitted(app_client)
    helpdesk = client_of(app_client)
    log_in(helpdesk, "rina")
    queue = helpdesk.get("/helpdesk")
    assert ticket_id in queue.text
    forwarded = helpdesk.post(f"/helpdesk/{ticket_id}/teruskan", data={"csrf": csrf_of(queue)})
    assert forwarded.status_code == 200 and store.get(ticket_id).status == "forwarded"
    log_in(app_client, "kadis")
    assert f'href="/disposisi/{ticket_id}"' in app_client.get("/disposisi").text
    page = app_client.get(f"/disposisi/{ticket_id}")
    refused = app_client.post(f"/disposisi/{ticket_id}", data={"csrf": csrf_of(page), "keputusan": "tunda"})
    assert refused.status_code == 422 and "pertimbangan" in refused.text
    done = app_client.post(f"/disposisi/{ticket_id}", data={"csrf": csrf_of(page), "keputusan": "setujui"})
    assert done.status_code == 200
    ticket = store.get(ticket_id)
    assert ticket.status == "approved"
    last = ticket.events[-1]
    assert (last.step, last.outcome, last.account.username if last.account else "") == (3, "approve", "kadis")
    sheet = app_client.get(f"/tiket/{ticket_id}/disposisi")  # the Lembar Disposisi, written with the decision
    recorded = last.outputs["disposisi"]["pdf"]
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    assert hashlib.sha256(sheet.content).hexdigest() == recorded["sha256"]
    assert not Path(recorded["path"]).is_absolute()  # relative to the server's reports directory
    twice = app_client.post(f"/disposisi/{ticket_id}", data={"csrf": csrf_of(page), "keputusan": "setujui"})
    assert twice.status_code == 409 and len(store.get(ticket_id).events) == len(ticket.events)


def test_returning_for_revision_defers_with_the_consideration(
    app_client: Browserless, store: SqliteStore
) -> None:
    ticket_id = _submitted(app_client)
    store.apply(
        ticket_id,
        Move(step=2, actor="Rina", outputs={"forwarded_to": "Kepala Dinas"}),
        account=SqliteAccounts(store.path).by_username("rina"),
    )
    log_in(app_client, "kadis")
    token = csrf_of(app_client.get(f"/disposisi/{ticket_id}"))
    data = {"csrf": token, "keputusan": "kembalikan", "pertimbangan": "Lampirkan denah lokasi."}
    assert app_client.post(f"/disposisi/{ticket_id}", data=data).status_code == 200
    last = store.get(ticket_id).events[-1]
    assert (last.outcome, last.note) == ("defer", "Dikembalikan untuk perbaikan: Lampirkan denah lokasi.")


def test_a_plt_decides_only_while_the_delegation_holds(app_client: Browserless, base: Path) -> None:
    log_in(app_client, "kabid")
    assert app_client.get("/disposisi").status_code == 403
    today = dt.datetime.now(dt.UTC).date()
    add_delegation(
        base / "tickets.db",
        "kabid",
        Delegation(
            kind="Plt.", start=today - dt.timedelta(days=1), end=today + dt.timedelta(days=1), decree="800/1"
        ),
    )
    assert app_client.get("/disposisi").status_code == 200


def test_the_api_keeps_its_bearer_guard_and_json_errors(app_client: Browserless) -> None:
    log_in(app_client, "budi")  # a page session is no API credential
    answer = app_client.get("/api/v1/tickets")
    assert answer.status_code == 401 and answer.json()["code"] == "unauthorized"
    assert app_client.get("/tidak-ada").status_code == 404
    assert "text/html" in app_client.get("/tidak-ada").headers["content-type"]


def test_a_session_ends_at_its_expiry_and_with_its_disabled_account(
    base: Path, app_client: Browserless
) -> None:
    sessions = WebSessions(SqliteAccounts(base / "tickets.db"))
    try:
        session_id, session = sessions.login(
            "rina", "kata-sandi-yang-panjang-sekali-42", remember=False, source="t"
        )
        assert sessions.resolve(session_id) is not None
        assert sessions.resolve(session_id, now=session.expires_at) is None
        assert sessions.resolve(session_id + "x") is None
        sessions.accounts.disable("rina")
        assert sessions.resolve(session_id) is None
        stored = sessions.accounts.conn.execute("SELECT digest FROM web_sessions").fetchall()
        assert all(session_id not in row[0] for row in stored)  # only the hash is kept
    finally:
        sessions.close()


def test_other_opds_are_not_listed_to_a_pemohon(app_client: Browserless) -> None:
    ticket_id = _submitted(app_client)
    log_in(app_client, "sari")
    page = app_client.get("/permohonan")
    assert ticket_id not in page.text and BAPPEDA in page.text


def test_the_helpdesk_closes_a_ticket_whose_report_is_acknowledged(
    app_client: Browserless, store: SqliteStore
) -> None:
    from test_policy import at_status

    ready = at_status(store, "acknowledged")
    log_in(app_client, "rina")
    queue = app_client.get("/helpdesk")
    section = queue.text.split('id="tutup"')[1].split("</section>")[0]
    assert ready.id in section and "Tutup tiket" in section
    closed = app_client.post(f"/helpdesk/{ready.id}/tutup", data={"csrf": csrf_of(queue)})
    assert closed.status_code == 200
    last = store.get(ready.id).events[-1]
    assert (last.step, last.account.username if last.account else "") == (11, "rina")
    again = app_client.post(f"/helpdesk/{ready.id}/tutup", data={"csrf": csrf_of(queue)})
    assert again.status_code == 409 and "Belum dapat dicatat" in again.text


def test_the_timeline_shows_who_when_and_the_time_against_the_standard(store: SqliteStore) -> None:
    from test_policy import at_status

    from sipelangi_net.server.pages.view import minutes, timeline

    ticket = at_status(store, "approved")
    rows = timeline(ticket)
    assert [r.step for r in rows] == [1, 2, 3, *range(4, 13)]
    assert [r.done for r in rows] == [True] * 3 + [False] * 9
    assert rows[2].outcome == "disetujui" and rows[2].who == "Ir. Kadis, Kepala Dinas"
    assert rows[0].who.startswith("Rina Helpdesk, Helpdesk, atas nama ")  # a paper letter entered
    assert rows[6].standard == "1 jam" and rows[3].outcome == "belum"
    assert [minutes(s) for s in (30, 60, 3600 + 300, 86400 * 2 + 3600)] == [
        "< 1 mnt",
        "1 mnt",
        "1 jam 5 mnt",
        "2 hari 1 jam",
    ]


def _decided_with_sheet(store: SqliteStore, pdf: Path) -> str:
    from test_policy import ACCOUNTS, at_status

    ticket = at_status(store, "forwarded")
    files = {"path": str(pdf), "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()}
    sheet = {"kind": "lembar-disposisi", "number": "005/1/LD/2026", "html": files, "pdf": files}
    move = Move(step=3, actor="Ir. Kadis", outcome="approve", outputs={"disposisi": sheet})
    store.apply(ticket.id, move, account=ACCOUNTS["kepala_dinas"])
    return ticket.id


def test_the_lembar_disposisi_is_served_only_while_it_is_the_recorded_pdf(
    app_client: Browserless, store: SqliteStore, base: Path
) -> None:
    pdf = base / "lembar.pdf"
    pdf.write_bytes(PDF)
    ticket_id = _decided_with_sheet(store, pdf)
    log_in(app_client, "kadis")
    page = app_client.get(f"/tiket/{ticket_id}")
    assert f'href="/tiket/{ticket_id}/disposisi"' in page.text and "005/1/LD/2026" in page.text
    assert app_client.get(f"/tiket/{ticket_id}/disposisi").content == PDF
    pdf.write_bytes(PDF + b"% changed\n")  # no longer the file the event recorded
    assert app_client.get(f"/tiket/{ticket_id}/disposisi").status_code == 404
    assert f"/tiket/{ticket_id}/disposisi" not in app_client.get(f"/tiket/{ticket_id}").text
    secret = base / "not-a-pdf.txt"
    secret.write_bytes(b"a secret of the server")
    other = _decided_with_sheet(store, secret)  # a record naming any file is not served on its word
    assert app_client.get(f"/tiket/{other}/disposisi").status_code == 404


def test_a_closed_ticket_shows_the_pemohon_its_closing_notice(
    app_client: Browserless, store: SqliteStore
) -> None:
    from test_policy import at_status

    closed = at_status(store, "notified")
    log_in(app_client, "budi")
    page = app_client.get(f"/tiket/{closed.id}")
    assert "Pemberitahuan penutupan" in page.text and f"Tiket {closed.id} telah ditutup" in page.text
    # step 9's record names a scan that is not on this server: no link, and nothing served
    assert "/berita-acara" not in page.text
    assert app_client.get(f"/tiket/{closed.id}/berita-acara").status_code == 404


def test_the_lists_take_the_newest_tickets_in_one_query(store: SqliteStore) -> None:
    from test_policy import at_status

    from sipelangi_net.tickets.listing import TicketQuery

    ids = [at_status(store, "submitted").id for _ in range(5)]
    newest = store.page(TicketQuery(status="submitted"), after=None, limit=3, newest=True)
    assert [t.id for t in newest.tickets] == ids[:1:-1] and newest.after == ids[2]
    rest = store.page(TicketQuery(status="submitted"), after=newest.after, limit=3, newest=True)
    assert [t.id for t in rest.tickets] == ids[1::-1] and rest.after is None


def test_the_mails_link_to_the_page_when_the_pages_address_is_set(tmp_path: Path) -> None:
    from test_policy import ACCOUNTS
    from ticket_data import request

    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.officials import load_officials

    settings = tmp_path / "officials.yaml"
    settings.write_text(
        "kepala_dinas:\n  email: kadis@diskominfo.pangkalpinangkota.go.id\n"
        "sipelangi_url: https://sipelangi.pangkalpinangkota.go.id/\n"
    )
    officials = load_officials(settings)
    store = SqliteStore(tmp_path / "t.db", webhook_url="", officials=officials)
    try:
        ticket = store.create(request(), helpdesk="-", account=ACCOUNTS["helpdesk"])
        [mail] = [n for n in store.outbox(ticket_id=ticket.id) if n.kind == "disposition"]
        assert mail.body.endswith(
            f"Buka di SiPelangi: https://sipelangi.pangkalpinangkota.go.id/disposisi/{ticket.id}\n"
        )
    finally:
        store.close()
    settings.write_text("sipelangi_url: javascript:alert(1)\n")
    with pytest.raises(ConfigError, match="sipelangi_url"):
        load_officials(settings)


def test_under_tls_the_session_cookie_is_secure(tmp_path: Path) -> None:
    import ssl

    from api_server import running_server
    from pages_world import make_people
    from test_api_tls import self_signed

    cert, key = self_signed(tmp_path / "tls")
    make_people(tmp_path / "srv" / "tickets.db")
    with (
        running_server(tmp_path / "srv", tls=(cert, key)) as server,
        httpx.Client(base_url=server.url, verify=ssl.create_default_context(cafile=cert)) as browser,
    ):
        answer = log_in(browser, "kadis", remember=True)
        assert answer.status_code == 303
        assert "Secure" in session_cookie(answer) and "HttpOnly" in session_cookie(answer)


def test_failed_logins_are_throttled_per_username(app_client: Browserless) -> None:
    token = csrf_of(app_client.get("/masuk"))
    for _ in range(5):
        wrong = {"csrf": token, "username": "kadis", "password": "salah"}
        assert app_client.post("/masuk", data=wrong).status_code == 401
    right = {"csrf": token, "username": "kadis", "password": "kata-sandi-yang-panjang-sekali-42"}
    throttled = app_client.post("/masuk", data=right)
    assert throttled.status_code == 429 and "Tunggu 15 menit" in throttled.text
    assert "spl_sesi" not in app_client.cookies


def test_the_kepala_bidang_acknowledges_a_report(app_client: Browserless, store: SqliteStore) -> None:
    from test_policy import at_status

    reported = at_status(store, "reported")
    assert log_in(app_client, "kabid").headers["location"] == "/laporan"
    page = app_client.get("/laporan")
    assert reported.id in page.text
    done = app_client.post(f"/laporan/{reported.id}/terima", data={"csrf": csrf_of(page)})
    assert done.status_code == 200 and store.get(reported.id).status == "acknowledged"
    last = store.get(reported.id).events[-1]
    assert (last.step, last.outcome, last.account.username if last.account else "") == (
        10,
        "acknowledge",
        "kabid",
    )
    assert app_client.post(f"/laporan/{reported.id}/terima", data={"csrf": csrf_of(page)}).status_code == 409


def test_a_pemohon_resubmits_a_deferred_request_with_a_revised_letter(
    app_client: Browserless, store: SqliteStore
) -> None:
    from test_policy import at_status

    deferred = at_status(store, "deferred")
    log_in(app_client, "budi")
    page = app_client.get(f"/tiket/{deferred.id}")
    assert "Perbaiki dan ajukan ulang" in page.text and "Tarik permohonan" in page.text
    revised = PDF.replace(b"Catalog", b"Catalog /Revised true")
    data = {"csrf": csrf_of(page), "perbaikan": "Denah dilampirkan.", "letter_number": "005/130/DINKES/2026"}
    files = {"surat": ("surat.pdf", revised, "application/pdf")}
    refused = app_client.post(f"/permohonan/{deferred.id}/ajukan-ulang", data=data, files=files)
    assert refused.status_code == 422  # no date
    data["letter_date"] = "2026-12-01"
    answer = app_client.post(f"/permohonan/{deferred.id}/ajukan-ulang", data=data, files=files)
    assert answer.status_code == 200
    last = store.get(deferred.id).events[-1]
    assert (last.step, last.outcome, last.note) == (1, "resubmit", "Denah dilampirkan.")
    assert last.outputs["letter"]["scan_sha256"] == hashlib.sha256(revised).hexdigest()


def test_a_pemohon_withdraws_a_request_with_the_reason(app_client: Browserless, store: SqliteStore) -> None:
    ticket_id = _submitted(app_client)
    log_in(app_client, "budi")
    token = csrf_of(app_client.get(f"/tiket/{ticket_id}"))
    assert app_client.post(f"/permohonan/{ticket_id}/tarik", data={"csrf": token}).status_code == 422
    answer = app_client.post(
        f"/permohonan/{ticket_id}/tarik", data={"csrf": token, "alasan": "Pindah gedung."}
    )
    assert answer.status_code == 200 and store.get(ticket_id).status == "withdrawn"
    assert "Tarik permohonan" not in answer.text
    sari = client_of(app_client)
    log_in(sari, "sari")
    other = sari.post(
        f"/permohonan/{ticket_id}/tarik", data={"csrf": csrf_of(sari.get("/permohonan")), "alasan": "x"}
    )
    assert other.status_code == 404
