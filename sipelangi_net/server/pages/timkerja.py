"""The Tim Kerja's pages: the approved work list, a ticket's work page (the plan, the proposed and
agreed slots, the dry-run diff per device, provisioning as a background job with its progress,
the bandwidth result with a chart, the signed berita acara's upload), and step 6 (the agreed
schedule: Tim Kerja or helpdesk, as the policy allows both).

The dry run and the provisioning are the CLI's own commands (``sipelangi-net diff``,
``sipelangi-net provision``), run by :class:`~sipelangi_net.server.pages.jobs.Jobs` as processes
of their own over the server's database: the same playbook, locks, resumption and agreed slot as
from a terminal. A provisioning run acts as the clicking account through a one-day API token
issued for it, given in the run's environment only, and revoked once the run is seen ended.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from fastapi import APIRouter
from fastapi import Request as HttpRequest
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sipelangi_net.accounts.sessions import WebSession
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.errors import ConfigError, DocumentInputError, IncompleteTicketError, SipelangiError
from sipelangi_net.logs import register_secret
from sipelangi_net.server.pages import work_view
from sipelangi_net.server.pages.handover import cosigns_of
from sipelangi_net.server.pages.jobs import Job, JobBusy, Jobs, WorkConfig
from sipelangi_net.server.pages.letters import LetterRefused, keep_letter
from sipelangi_net.server.pages.pemohon import letter_bytes
from sipelangi_net.server.pages.ticket import recent
from sipelangi_net.server.pages.view import status_text
from sipelangi_net.server.pages.web import (
    PageError,
    check_csrf,
    line_field,
    pages_of,
    render,
    require,
    see_other,
    text_field,
    use_store,
    visible_ticket,
)
from sipelangi_net.server.store import ServedStore
from sipelangi_net.tickets.listing import TicketQuery
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.policy import HELPDESK, TIM_KERJA, WIB
from sipelangi_net.tickets.sqlite import utcnow

logger = logging.getLogger(__name__)

PER_STATUS = 50
JOB_TOKEN_DAYS = 1
REFRESH_SECONDS = 3
SCHEDULE_FROM = ("prepared",)
HANDOVER_FROM = ("tested",)
router = APIRouter()


def _work(request: HttpRequest) -> WorkConfig:
    work = pages_of(request).work
    if work is None:
        raise PageError(
            503, "Layanan tidak tersedia", "Server ini tidak dikonfigurasi untuk pekerjaan Tim Kerja."
        )
    return work


class AsAccount:
    """The server's store with every write made as ``account`` (what the CLI's ``Acting`` does)."""

    def __init__(self, store: ServedStore, account: Any) -> None:
        self.inner = store
        self.account = account

    def apply(self, ticket_id: str, move: Move) -> Ticket:
        return self.inner.apply(ticket_id, move, account=self.account)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@router.get("/kerja", include_in_schema=False)
def work_list(request: HttpRequest) -> Response:
    session = require(request, (TIM_KERJA,))

    def found(store: ServedStore) -> list[Ticket]:
        return [t for s in work_view.WORK_STATUSES for t in recent(store, TicketQuery(status=s), PER_STATUS)]

    rows = [(t, status_text(t.status)) for t in use_store(request, found)]
    return render(request, "kerja_daftar.html", session=session, rows=rows)


def _revoke(work: WorkConfig, username: str, token_id: int) -> bool:
    accounts = SqliteAccounts(work.db)
    try:
        accounts.revoke_token(username, token_id)
        return True
    except SipelangiError as exc:
        logger.warning("%s: cannot revoke the job's token #%d: %s", username, token_id, exc)
        return False
    finally:
        accounts.close()


def _retire(work: WorkConfig, job: Job | None) -> None:
    """Revoke the ended job's token (once; a marker file remembers it)."""
    if job is None or job.running or not job.token_id or (job.folder / "token-revoked").exists():
        return
    if _revoke(work, job.username, job.token_id):
        (job.folder / "token-revoked").touch(mode=0o600)


@router.get("/kerja/{ticket_id}", include_in_schema=False)
def work_page(request: HttpRequest, ticket_id: str) -> Response:
    session = require(request, (TIM_KERJA,))
    work = _work(request)
    ticket = visible_ticket(request, session, ticket_id)
    jobs = Jobs(work.jobs)
    job = jobs.latest(ticket.id, "provision")
    dry = jobs.latest(ticket.id, "diff")
    _retire(work, job)
    running = any(j is not None and j.running for j in (job, dry))
    changes, no_changes = work_view.change_set(work.reports, ticket.id)
    result = work_view.bandwidth(ticket)
    return render(
        request,
        "kerja.html",
        session=session,
        ticket=ticket,
        state=status_text(ticket.status),
        plan=work_view.plan(ticket),
        proposed=work_view.slot_schedule(work_view.proposed(ticket)),
        agreed=work_view.slot_schedule(work_view.agreed(ticket)),
        equipment=(p.equipment if (p := work_view.proposed(ticket)) else ()),
        changes=changes,
        no_changes=no_changes,
        job=work_view.job_view(job) if job else None,
        job_log=job.tail() if job else [],
        dry=work_view.job_view(dry) if dry else None,
        dry_log=dry.tail(15) if dry and not changes else [],
        steps=work_view.progress_lines(ticket),
        refresh=REFRESH_SECONDS if running else 0,
        result=result,
        chart=work_view.bandwidth_chart(result) if result else None,
        schedulable=ticket.status in SCHEDULE_FROM,
        signable=ticket.status in HANDOVER_FROM,
        cosigned=cosigns_of(request).of(ticket.id) if ticket.status in HANDOVER_FROM else None,
    )


@router.get("/kerja/{ticket_id}/kemajuan", include_in_schema=False)
def progress(request: HttpRequest, ticket_id: str) -> Response:
    """The provisioning's progress as JSON, for the page's packaged script (``aset/kemajuan.js``)."""
    session = require(request, (TIM_KERJA,))
    work = _work(request)
    ticket = visible_ticket(request, session, ticket_id)
    jobs = Jobs(work.jobs)
    job, dry = jobs.latest(ticket.id, "provision"), jobs.latest(ticket.id, "diff")
    shown = work_view.job_view(job) if job else None
    body = {
        "running": any(j is not None and j.running for j in (job, dry)),
        "state": shown.state if shown else "",
        "failed": bool(shown and shown.failed),
        "steps": work_view.progress_lines(ticket),
        "log": job.tail() if job else [],
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _busy_page(exc: JobBusy) -> PageError:
    job = exc.job
    return PageError(
        409,
        "Pekerjaan masih berjalan",
        f"Tiket {job.ticket_id} sudah punya pekerjaan yang berjalan ({job.kind}, dimulai"
        f" {job.started_at.astimezone(WIB):%d-%m-%Y %H:%M} WIB oleh {job.username})."
        " Tunggu sampai selesai; satu tiket hanya satu pekerjaan pada satu waktu.",
    )


def _env(work: WorkConfig, token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SIPELANGI_TOKEN"}
    env.update({"SIPELANGI_REPORTS": str(work.reports), "NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"})
    if token:
        env["SIPELANGI_TOKEN"] = token
    return env


MAX_REASON = 300


def _early_reason(form: FormData) -> str:
    """Why the change goes outside the agreed slot (the CLI's ``--now --reason``), or "" to keep to it."""
    return line_field(form, "alasan", "Alasan", MAX_REASON)


def _start(request: HttpRequest, session: WebSession, ticket_id: str, kind: str, early: str = "") -> None:
    work = _work(request)
    ticket = visible_ticket(request, session, ticket_id)
    if ticket.status not in work_view.WORK_STATUSES:
        raise PageError(
            409,
            "Belum dapat dimulai",
            "Tiket ini belum disetujui Kepala Dinas, atau pekerjaannya sudah selesai.",
        )
    jobs = Jobs(work.jobs)
    current = jobs.latest(ticket.id)
    if current is not None and current.running:
        raise _busy_page(JobBusy(current))
    base = [*work.command(), "provision" if kind == "provision" else "diff", ticket.id]
    argv = [*base, "--db", str(work.db), "--inventory", str(work.inventory)]
    token, token_id = None, 0
    if kind == "provision":
        argv.append("--yes")
        if early:  # kept on step 7 with the account that pushed
            argv += ["--now", "--reason", early]
        accounts = SqliteAccounts(work.db)
        try:
            issued = accounts.issue_token(
                session.account.username, name=f"halaman: provision {ticket.id}", days=JOB_TOKEN_DAYS
            )
        finally:
            accounts.close()
        token, token_id = issued.token, issued.info.id
        register_secret(token)  # hidden wherever the server logs or shows a log line
    try:
        jobs.start(
            ticket.id, kind, argv, username=session.account.username, token_id=token_id,
            env=_env(work, token), now=utcnow(),
        )  # fmt: skip
    except BaseException as exc:
        if token_id:
            _revoke(work, session.account.username, token_id)
        if isinstance(exc, JobBusy):
            raise _busy_page(exc) from None
        raise
    logger.info("%s started %s of %s from the pages", session.account.username, kind, ticket.id)


JOB_KINDS = {"provisi": "provision", "dry-run": "diff"}
"""The job buttons' paths -> the CLI command they run."""


async def _start_job(request: HttpRequest, ticket_id: str, kind: str) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    session = await run_in_threadpool(require, request, (TIM_KERJA,))
    check_csrf(session, form)
    early = _early_reason(form) if kind == "provisi" else ""
    await run_in_threadpool(_start, request, session, ticket_id, JOB_KINDS[kind], early)
    return see_other(f"/kerja/{ticket_id}")


@router.post("/kerja/{ticket_id}/provisi", include_in_schema=False)
async def start_provisioning(request: HttpRequest, ticket_id: str) -> Response:
    return await _start_job(request, ticket_id, "provisi")


@router.post("/kerja/{ticket_id}/dry-run", include_in_schema=False)
async def start_dry_run(request: HttpRequest, ticket_id: str) -> Response:
    return await _start_job(request, ticket_id, "dry-run")


def _agreed(form: FormData) -> dt.datetime | None:
    """The agreed start (``datetime-local``, WIB), or None: the proposed slot."""
    text = text_field(form, "mulai")
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=WIB)
    except ValueError:
        raise PageError(422, "Isian tidak sah", "Waktu mulai tidak dikenali; isi tanggal dan jam.") from None


@router.post("/tiket/{ticket_id}/jadwal", include_in_schema=False)
async def schedule(request: HttpRequest, ticket_id: str) -> Response:
    """Step 6: the agreed slot (default: the proposed one), by the Tim Kerja or the helpdesk."""
    from sipelangi_net.analysis.catalogues import load_catalogues
    from sipelangi_net.analysis.steps import schedule_ticket

    form = await request.form(max_files=0, max_fields=10)
    session = await run_in_threadpool(require, request, (TIM_KERJA, HELPDESK))
    check_csrf(session, form)
    work = _work(request)
    start = _agreed(form)

    def record() -> None:
        if visible_ticket(request, session, ticket_id).status not in SCHEDULE_FROM:
            raise PageError(
                409, "Belum dapat dicatat", "Jadwal sudah dikirim, atau usulan jadwal (langkah 5) belum ada."
            )
        catalogues = load_catalogues(work.inventory)
        use_store(
            request,
            lambda store: schedule_ticket(
                AsAccount(store, session.account),
                ticket_id,
                catalogues,
                actor=session.account.display_name,
                agreed=start,
            ),
        )

    await run_in_threadpool(record)
    return see_other("/helpdesk" if str(session.account.role) == HELPDESK else f"/kerja/{ticket_id}")


@router.post("/kerja/{ticket_id}/berita-acara", include_in_schema=False)
async def signed_handover(request: HttpRequest, ticket_id: str) -> Response:
    """Step 9: the signed berita acara's scan (PDF), kept by hash, recorded as ``ticket sign`` does."""
    async with request.form(max_files=1, max_fields=10) as form:  # closes the upload's spool file
        session = await run_in_threadpool(require, request, (TIM_KERJA,))
        check_csrf(session, form)
        work = _work(request)
        data = await letter_bytes(form, "scan")
        fields = {
            name: text_field(form, name) for name in ("tk_nama", "tk_nip", "pemohon_nama", "pemohon_nip")
        }

    def record() -> None:
        from sipelangi_net.documents.service import make_signer, record_handover

        ticket = visible_ticket(request, session, ticket_id)
        if ticket.status not in HANDOVER_FROM:
            raise PageError(
                409, "Belum dapat dicatat", "Berita acara sudah dicatat, atau uji bandwidth belum lulus."
            )
        try:
            signers = (
                make_signer("tim_kerja", fields["tk_nama"], fields["tk_nip"]),
                make_signer("pemohon", fields["pemohon_nama"], fields["pemohon_nip"]),
            )
        except (DocumentInputError, ConfigError) as exc:
            message = "Nama atau NIP penanda tangan tidak sah (NIP: 18 angka)."
            raise PageError(422, "Isian tidak sah", message, str(exc)) from None
        try:
            kept = work.scans / f"{keep_letter(work.scans, data)}.pdf"
        except LetterRefused as exc:
            message = str(exc).replace("surat permohonan", "berita acara").replace("surat", "berita acara")
            raise PageError(422, "Isian tidak sah", message) from None
        site = pages_of(request).inventory().sites.get(ticket.request.site)

        def sign(store: ServedStore) -> None:
            try:
                record_handover(
                    AsAccount(store, session.account), ticket_id, signers=signers, scan=kept,
                    actor=session.account.display_name, now=utcnow(),
                    address=site.address if site else "", out=work.reports,
                )  # fmt: skip
            except IncompleteTicketError as exc:
                raise PageError(
                    409, "Belum dapat dicatat", "Berita acara belum dapat dibuat.", str(exc)
                ) from None

        use_store(request, sign)

    await run_in_threadpool(record)
    return see_other(f"/kerja/{ticket_id}")
