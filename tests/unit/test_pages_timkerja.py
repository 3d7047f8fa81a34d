"""The Tim Kerja's pages (server/pages/timkerja.py) with the real server in a thread: the work list and
page, role checks, CSRF, the agreed schedule (step 6) from the Tim Kerja's page and the helpdesk's
queue, the provisioning job run by the real CLI as its own process (one per ticket, outliving the
request, its failure shown), the dry-run diff, the bandwidth chart and the signed berita acara."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pages_world import PDF, csrf_of, log_in, make_people, open_store, serving
from test_policy import ACCOUNTS, PATH, at_status, move
from ticket_data import request

from sipelangi_net.accounts.sessions import WebSessions
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.paths import inventory_dir
from sipelangi_net.server.app import create_app
from sipelangi_net.server.auth import single_token
from sipelangi_net.server.pages import PagesConfig
from sipelangi_net.server.pages.jobs import Job, Jobs, WorkConfig
from sipelangi_net.tickets.sqlite import SqliteStore

NIP_TK = "198501012010011001"
NIP_PEMOHON = "199002022015022002"
MONDAY = "2026-12-14T09:00"


def work_server(base: Path) -> FastAPI:
    db = base / "tickets.db"
    make_people(db)
    work = WorkConfig(
        db=db,
        inventory=inventory_dir(),
        jobs=base / "pekerjaan",
        scans=base / "berita-acara",
        reports=base / "reports",
    )
    return create_app(
        lambda: open_store(db),
        resolver=single_token("t" * 32),
        pages=PagesConfig(
            sessions=lambda: WebSessions(SqliteAccounts(db)), letters=base / "surat-permohonan", work=work
        ),
    )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, SqliteStore, Path]]:
    # the CLI the jobs run finds the same store files as the test's store
    monkeypatch.setenv("SIPELANGI_AUDIT_KEY", str(tmp_path / "audit.key"))
    monkeypatch.setenv("SIPELANGI_CHECKPOINTS", str(tmp_path / "checkpoints.jsonl"))
    # and no device: no credentials (not the lab's, not this user's), no locks of another run
    monkeypatch.setenv("SIPELANGI_LAB_DIR", str(tmp_path / "no-lab"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SIPELANGI_LOCKS", str(tmp_path / "locks"))
    for key in ("SECRETS", "USERNAME", "PASSWORD", "SSH_KEY"):
        monkeypatch.delenv(f"SIPELANGI_{key}", raising=False)
    with serving(work_server(tmp_path)) as url:
        store = open_store(tmp_path / "tickets.db")
        try:
            yield url, store, tmp_path
        finally:
            store.close()


@contextmanager
def browser(url: str, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, follow_redirects=True) as client:
        log_in(client, username)
        yield client


def wait_for_end(jobs: Jobs, ticket_id: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while (job := jobs.latest(ticket_id)) is not None and job.running:
        assert time.monotonic() < deadline, f"job {job.id} still running after {seconds} s"
        time.sleep(0.2)


def test_the_work_list_and_page_show_the_plan_and_the_slots(world: tuple[str, SqliteStore, Path]) -> None:
    url, store, _ = world
    ticket = at_status(store, "scheduled")
    with browser(url, "andi") as andi:
        listed = andi.get("/kerja")
        assert listed.status_code == 200 and f"/kerja/{ticket.id}" in listed.text
        page = andi.get(f"/kerja/{ticket.id}")
        assert page.status_code == 200
        for words in ("Rencana analisis", "Jadwal disepakati", "Belum ada dry-run", "Mulai provisioning"):
            assert words in page.text
        assert 'http-equiv="refresh"' not in page.text  # nothing runs


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_ticket_fields_render_as_text_on_the_work_page(world: tuple[str, SqliteStore, Path]) -> None:
    url, store, _ = world
    ticket = store.create(request(notes=HOSTILE), helpdesk="-", account=ACCOUNTS["helpdesk"])
    for step, outcome, who, note in PATH[:4]:  # approved, analysed, prepared, scheduled
        ticket = store.apply(ticket.id, move(step, outcome, ticket.id, note), account=ACCOUNTS[who])
    with browser(url, "andi") as andi:
        page = andi.get(f"/kerja/{ticket.id}")
    assert page.status_code == 200 and ticket.status == "scheduled"
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_job_in_words_waiting_is_not_a_failure(tmp_path: Path) -> None:
    from sipelangi_net.server.pages.work_view import job_view

    def ended(code: int) -> Job:
        return Job("SPL-2026-00001", "20261201T000000Z-1", "provision", "andi", dt.datetime.now(dt.UTC),
                   2**22 + 1, 0, tmp_path, code)  # fmt: skip

    assert not job_view(ended(75)).failed and "menunggu" in job_view(ended(75)).state
    assert job_view(ended(1)).failed and "kode keluar 1" in job_view(ended(1)).state
    assert not job_view(ended(0)).failed and job_view(ended(0)).state.startswith("selesai")


def test_other_roles_get_403_and_another_opds_pemohon_nothing(world: tuple[str, SqliteStore, Path]) -> None:
    url, store, _ = world
    ticket = at_status(store, "approved")
    for username in ("budi", "rina", "kadis", "kabid"):
        with browser(url, username) as other:
            assert other.get("/kerja").status_code == 403, username
            assert other.get(f"/kerja/{ticket.id}").status_code == 403, username
            csrf = csrf_of(other.get("/tiket/" + ticket.id)) if username != "sari" else ""
            start = other.post(f"/kerja/{ticket.id}/provisi", data={"csrf": csrf})
            assert start.status_code == 403, username
    assert not (world[2] / "pekerjaan").exists() or not any((world[2] / "pekerjaan").iterdir())
    with browser(url, "andi") as andi:
        assert andi.get("/kerja/SPL-2020-99999").status_code == 404


def test_a_job_form_without_its_csrf_token_starts_nothing(world: tuple[str, SqliteStore, Path]) -> None:
    url, store, base = world
    ticket, waiting = at_status(store, "approved"), at_status(store, "forwarded")
    with browser(url, "andi") as andi:
        refused = andi.post(f"/kerja/{ticket.id}/provisi", data={})
        assert refused.status_code == 403 and "tanda keamanan" in refused.text
        csrf = csrf_of(andi.get(f"/kerja/{ticket.id}"))
        early = andi.post(f"/kerja/{waiting.id}/provisi", data={"csrf": csrf})
        assert early.status_code == 409 and "belum disetujui" in early.text
    assert Jobs(base / "pekerjaan").of(ticket.id) == [] and Jobs(base / "pekerjaan").of(waiting.id) == []


def test_provisioning_runs_the_cli_as_its_own_process_and_shows_its_failure(
    world: tuple[str, SqliteStore, Path],
) -> None:
    url, store, base = world
    ticket = at_status(store, "approved")
    jobs = Jobs(base / "pekerjaan")
    with browser(url, "andi") as andi:
        page = andi.get(f"/kerja/{ticket.id}")
        started = andi.post(f"/kerja/{ticket.id}/provisi", data={"csrf": csrf_of(page)})
        assert started.status_code == 200
        job = jobs.latest(ticket.id)
        assert job is not None and job.kind == "provision" and job.username == "andi"
        if job.running:  # the page polls while it runs; a second start is refused with a page
            assert 'http-equiv="refresh"' in started.text and "sedang berjalan" in started.text
            assert 'src="/aset/kemajuan.js"' in started.text
            polled = andi.get(f"/kerja/{ticket.id}/kemajuan").json()
            assert set(polled) == {"running", "state", "failed", "steps", "log"}
            again = andi.post(f"/kerja/{ticket.id}/provisi", data={"csrf": csrf_of(page)})
            assert again.status_code == 409 and "Pekerjaan masih berjalan" in again.text
            assert len(jobs.of(ticket.id)) == 1
    # the browser is gone; the run goes on and ends on its own, its exit code kept beside its log
    wait_for_end(jobs, ticket.id)
    ended = jobs.latest(ticket.id)
    assert ended is not None and ended.exit_code not in (None, 0, 75)
    assert any("no device credentials" in line for line in ended.tail())  # stopped at the live facts
    assert (ended.folder / "rc").read_text().strip() == str(ended.exit_code)
    meta = json.loads((ended.folder / "job.json").read_text())
    argv = " ".join(meta["argv"])
    assert (
        "provision" in argv and ticket.id in argv and "sipl_" not in argv
    )  # the token is not on the command line
    with browser(url, "andi") as andi:
        shown = andi.get(f"/kerja/{ticket.id}")
        assert 'class="gagal"' in shown.text and "kode keluar" in shown.text
        assert 'http-equiv="refresh"' not in shown.text and "Lanjutkan provisioning" in shown.text
        assert 'aria-label="Log pekerjaan"' in shown.text and "kemajuan.js" not in shown.text
        polled = andi.get(f"/kerja/{ticket.id}/kemajuan").json()
        assert polled["running"] is False and polled["failed"] is True
        assert any("no device credentials" in line for line in polled["log"])
        assert andi.get("/aset/kemajuan.js").headers["content-type"].startswith("text/javascript")
    with browser(url, "rina") as rina:
        assert rina.get(f"/kerja/{ticket.id}/kemajuan").status_code == 403
    accounts = SqliteAccounts(base / "tickets.db")
    try:
        tokens = accounts.tokens("andi")
    finally:
        accounts.close()
    assert [t.id for t in tokens] == [ended.token_id] and tokens[0].revoked_at is not None


def test_one_job_per_ticket_a_second_start_is_refused_with_a_page(
    world: tuple[str, SqliteStore, Path],
) -> None:
    url, store, base = world
    ticket = at_status(store, "approved")
    jobs = Jobs(base / "pekerjaan")
    jobs.start(
        ticket.id, "diff", ["sleep", "5"], username="andi", env=dict(os.environ), now=dt.datetime.now(dt.UTC)
    )
    with browser(url, "andi") as andi:
        page = andi.get(f"/kerja/{ticket.id}")
        for button in ("provisi", "dry-run"):
            refused = andi.post(f"/kerja/{ticket.id}/{button}", data={"csrf": csrf_of(page)})
            assert refused.status_code == 409 and "Pekerjaan masih berjalan" in refused.text
    assert len(jobs.of(ticket.id)) == 1
    accounts = SqliteAccounts(base / "tickets.db")
    try:
        assert accounts.tokens("andi") == []  # refused before any token was issued
    finally:
        accounts.close()
    wait_for_end(jobs, ticket.id, 10)


def test_a_job_outlives_the_server_that_started_it(world: tuple[str, SqliteStore, Path]) -> None:
    _, store, base = world
    ticket = at_status(store, "approved")
    jobs = Jobs(base / "pekerjaan")
    job = jobs.start(
        ticket.id, "diff", ["sh", "-c", "sleep 1; echo selesai; exit 3"], username="andi",
        env=dict(os.environ), now=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    assert job.running and os.getpgid(job.pid) != os.getpgid(0)  # a session of its own
    wait_for_end(jobs, ticket.id, 10)
    done = jobs.latest(ticket.id)
    assert done is not None and done.exit_code == 3 and done.tail()[-1] == "selesai"


def test_the_job_log_is_shown_as_text_with_secrets_hidden(world: tuple[str, SqliteStore, Path]) -> None:
    url, store, base = world
    ticket = at_status(store, "approved")
    jobs = Jobs(base / "pekerjaan")
    script = "echo '<script>alert(1)</script>'; echo 'password: hunter2secret'; exit 1"
    jobs.start(
        ticket.id, "provision", ["sh", "-c", script], username="andi", env=dict(os.environ),
        now=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    wait_for_end(jobs, ticket.id, 10)
    with browser(url, "andi") as andi:
        page = andi.get(f"/kerja/{ticket.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "hunter2secret" not in page


def test_the_agreed_schedule_is_sent_by_the_helpdesk_or_the_tim_kerja(
    world: tuple[str, SqliteStore, Path],
) -> None:
    url, store, _ = world
    first = at_status(store, "prepared")
    with browser(url, "rina") as rina:
        queue = rina.get("/helpdesk")
        assert f'action="/tiket/{first.id}/jadwal"' in queue.text
        sent = rina.post(f"/tiket/{first.id}/jadwal", data={"csrf": csrf_of(queue)})
        assert sent.status_code == 200, sent.text
        assert store.get(first.id).status == "scheduled"
        again = rina.post(f"/tiket/{first.id}/jadwal", data={"csrf": csrf_of(queue)})
        assert again.status_code == 409
    second = at_status(store, "prepared")  # its proposed slot is the one the first now holds
    with browser(url, "andi") as andi:
        page = andi.get(f"/kerja/{second.id}")
        assert "Kirim jadwal yang disepakati" in page.text
        taken = andi.post(f"/tiket/{second.id}/jadwal", data={"csrf": csrf_of(page)})
        assert taken.status_code == 409 and f"was taken by {first.id}" in taken.text  # nothing recorded
        assert store.get(second.id).status == "prepared"
        later = {"csrf": csrf_of(page), "mulai": MONDAY}
        assert andi.post(f"/tiket/{second.id}/jadwal", data=later).status_code == 200
    agreed = store.get(second.id).events[-1].outputs
    assert agreed["start"] == MONDAY + ":00+07:00"
    last = store.get(second.id).events[-1]
    assert (last.step, last.account.username if last.account else "") == (6, "andi")
    with browser(url, "budi") as budi:
        csrf = csrf_of(budi.get("/permohonan"))
        assert budi.post(f"/tiket/{second.id}/jadwal", data={"csrf": csrf}).status_code == 403


def test_the_dry_run_diff_is_shown_per_device_read_only(world: tuple[str, SqliteStore, Path]) -> None:
    url, store, base = world
    ticket = at_status(store, "scheduled")
    folder = base / "reports" / ticket.id
    folder.mkdir(parents=True)
    from sipelangi_net.change.changeset import ChangeSet, DeviceChange, to_json

    change = ChangeSet(
        ticket.id,
        (
            DeviceChange("dist-1", "frr", "a" * 64, ("interface vlan120", " description <b>OPD</b>")),
            DeviceChange("sw-dinkes", "ovs", "b" * 64, ()),
        ),
    )
    (folder / "change-set.json").write_text(to_json(change))
    with browser(url, "andi") as andi:
        page = andi.get(f"/kerja/{ticket.id}").text
    assert change.digest[:12] in page and "dist-1" in page and "interface vlan120" in page
    assert "description &lt;b&gt;OPD&lt;/b&gt;" in page and "Tidak ada perubahan" in page
    (folder / "change-set.json").write_text(
        to_json(change).replace("vlan120", "vlan121")
    )  # digest no longer fits
    with browser(url, "andi") as andi:
        assert "rusak" in andi.get(f"/kerja/{ticket.id}").text


def test_the_bandwidth_result_has_a_chart_and_the_signed_scan_records_step_9(
    world: tuple[str, SqliteStore, Path],
) -> None:
    url, store, base = world
    ticket = at_status(store, "tested")
    with browser(url, "andi") as andi:
        page = andi.get(f"/kerja/{ticket.id}")
        assert "<svg" in page.text and "Grafik target dan hasil uji bandwidth" in page.text
        form = {
            "csrf": csrf_of(page),
            "tk_nama": "Andi Jaringan",
            "tk_nip": NIP_TK,
            "pemohon_nama": "Budi Santoso",
            "pemohon_nip": NIP_PEMOHON,
        }
        wrong = andi.post(
            f"/kerja/{ticket.id}/berita-acara",
            data=form,
            files={"scan": ("ba.pdf", b"<html>", "application/pdf")},
        )
        assert wrong.status_code == 422 and "bukan PDF" in wrong.text
        bad_nip = andi.post(
            f"/kerja/{ticket.id}/berita-acara",
            data={**form, "tk_nip": "123"},
            files={"scan": ("ba.pdf", PDF, "application/pdf")},
        )
        assert bad_nip.status_code == 422 and "NIP" in bad_nip.text
        assert not (base / "berita-acara").exists() or not any((base / "berita-acara").iterdir())
        assert store.get(ticket.id).status == "tested"
        signed = andi.post(
            f"/kerja/{ticket.id}/berita-acara", data=form, files={"scan": ("ba.pdf", PDF, "application/pdf")}
        )
        assert signed.status_code == 200, signed.text
    after = store.get(ticket.id)
    assert after.status == "handed_over"
    handover = after.events[-1].outputs["handover"]
    digest = hashlib.sha256(PDF).hexdigest()
    assert handover["scan_sha256"] == digest
    kept = base / "berita-acara" / f"{digest}.pdf"
    assert kept.read_bytes() == PDF and kept.stat().st_mode & 0o777 == 0o600
    assert after.events[-1].account is not None and after.events[-1].account.username == "andi"


def test_the_pemohon_agrees_to_the_berita_acara_once_and_the_tim_kerja_form_carries_it(
    world: tuple[str, SqliteStore, Path],
) -> None:
    url, store, _ = world
    ticket = at_status(store, "tested")
    earlier = at_status(store, "installed")
    with browser(url, "budi") as budi:
        page = budi.get(f"/tiket/{ticket.id}")
        assert "Berita acara serah terima" in page.text and "Uji bandwidth: lulus" in page.text
        assert 'for="ba-nip"' in page.text and "Setujui berita acara" in page.text
        assert "Setujui berita acara" not in budi.get(f"/tiket/{earlier.id}").text
        form = {"nama": "Budi Santoso", "nip": NIP_PEMOHON, "periksa": "ya"}
        agree = f"/tiket/{ticket.id}/berita-acara/setuju"
        assert budi.post(agree, data=form).status_code == 403  # no CSRF token
        token = csrf_of(page)
        assert budi.post(agree, data={**form, "csrf": token, "nip": "12345"}).status_code == 422
        assert budi.post(agree, data={**form, "csrf": token, "periksa": ""}).status_code == 422
        assert budi.post(agree, data={**form, "csrf": token, "nama": "A\nB"}).status_code == 422
        early = budi.post(f"/tiket/{earlier.id}/berita-acara/setuju", data={**form, "csrf": token})
        assert early.status_code == 409  # the bandwidth test has not passed yet
        done = budi.post(agree, data={**form, "csrf": token})
        assert done.status_code == 200 and "Disetujui oleh Budi Santoso" in done.text
        assert 'for="ba-nip"' not in done.text
        assert budi.post(agree, data={**form, "csrf": token}).status_code == 409  # once
    with browser(url, "sari") as sari:  # Bappeda's pemohon: the ticket is Dinkes's
        other = sari.post(agree, data={**form, "csrf": csrf_of(sari.get("/permohonan"))})
        assert other.status_code == 404
    with browser(url, "rina") as rina:  # the helpdesk sees the agreement, cannot give it
        seen = rina.get(f"/tiket/{ticket.id}")
        assert "Disetujui oleh Budi Santoso" in seen.text
        assert rina.post(agree, data={**form, "csrf": csrf_of(seen)}).status_code == 403
    with browser(url, "andi") as andi:
        work = andi.get(f"/kerja/{ticket.id}").text
        assert "Pemohon menyetujui berita acara: Budi Santoso" in work
        assert f'name="pemohon_nip" required inputmode="numeric" value="{NIP_PEMOHON}"' in work
    assert store.get(ticket.id).status == "tested"  # the agreement is not step 9
