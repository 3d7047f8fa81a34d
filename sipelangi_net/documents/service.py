"""Entry points of the documents stage: build from the ticket, write under reports/, record on the ticket.

These are what the CLI and the ``provision`` playbook call (docs/documents.md). Builders are pure;
these functions add the file writing and the ticket store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sipelangi_net.documents import berita_acara, disposisi, files
from sipelangi_net.documents.compliance import latest_compliance
from sipelangi_net.documents.indonesian import check_nip, local_date
from sipelangi_net.documents.installation import Attachment, build_installation_report
from sipelangi_net.documents.intranet import build_intranet_report, period
from sipelangi_net.documents.records import Handover, Signer, SignerRole
from sipelangi_net.documents.writer import DocumentFiles, WrittenFile, sha256_file, write_document
from sipelangi_net.errors import DocumentInputError, IncompleteTicketError, RequestError
from sipelangi_net.faults.standards import DEFAULTS, FaultStandards
from sipelangi_net.paths import reports_dir
from sipelangi_net.tickets.acting import bound_account, recorded_actor, unwrapped
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.outputs import DispositionRecord, Skipped, screen
from sipelangi_net.tickets.store import TicketStore
from sipelangi_net.tickets.workflow import may_do
from sipelangi_net.validate import printable


def make_signer(role: SignerRole, name: str, nip: str) -> Signer:
    """A signer from user input; DocumentInputError names the option (--tim-kerja-nip, ...)."""
    flag = f"--{role.replace('_', '-')}"
    clean = check_nip(nip, field=f"{flag}-nip")
    try:
        return Signer(role=role, name=name, nip=clean)
    except ValidationError as exc:
        msg = exc.errors(include_url=False, include_input=False)[0]["msg"]
        raise DocumentInputError(f"{flag}-name: {msg}") from None


def write_berita_acara(
    ticket: Ticket,
    *,
    signers: tuple[Signer, ...] = (),
    on: dt.date | None = None,
    address: str = "",
    out: Path | None = None,
) -> DocumentFiles:
    """Write the berita acara (a draft with ``signers`` before step 9; the signed one after)."""
    doc = berita_acara.build_berita_acara(ticket, signers=signers, on=on, address=address)
    return write_document(doc, out=out)


def record_handover(
    store: TicketStore,
    ticket_id: str,
    *,
    signers: tuple[Signer, ...],
    scan: Path,
    actor: str,
    now: dt.datetime,
    address: str = "",
    out: Path | None = None,
) -> tuple[Ticket, DocumentFiles]:
    """SOP step 9: keep the signed scan, record who signed it, write the final berita acara.

    Refuses (IncompleteTicketError) a ticket whose berita acara cannot be built: no plan, no
    installation, no passed bandwidth test, a missing signer. The workflow refuses step 9 before 8.
    """
    ticket = store.get(ticket_id)
    day = local_date(now)
    draft = berita_acara.build_berita_acara(ticket, signers=signers, on=day, address=address)
    reports = out or reports_dir()
    existed = {p.name for p in (reports / ticket_id).glob("berita-acara-*-ttd-*")}
    kept, digest = files.keep_scan(scan, reports, ticket_id)
    handover = Handover(number=draft.number, signers=signers, scan_sha256=digest, scan=str(kept))
    try:
        ticket = store.apply(
            ticket_id,
            Move(step=9, actor=actor, outputs={"handover": handover.model_dump(mode="json")}, ended_at=now),
        )
    except Exception:
        if kept.name not in existed:
            kept.unlink(missing_ok=True)
        raise
    return ticket, write_berita_acara(ticket, address=address, out=out)


def _decision_move(*, outcome: str, note: str, actor: str, now: dt.datetime) -> Move:
    try:
        return Move(step=3, actor=actor, outcome=outcome, note=note, ended_at=now)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(printable(str(p)) for p in err["loc"])
        raise RequestError(f"--{field.replace('_', '-')}: {err['msg']}") from None


def record_decision(
    store: TicketStore,
    ticket_id: str,
    *,
    outcome: str,
    note: str,
    actor: str,
    now: dt.datetime,
    nip: str = "",
    kedudukan: disposisi.Kedudukan = "",
    out: Path | None = None,
) -> tuple[Ticket, DocumentFiles]:
    """SOP step 3: the Kepala Dinas approves or defers; write the Lembar Disposisi and record both.

    The move is checked against the SOP before anything is written; the sheet is written first
    (its SHA-256 goes on the step-3 event) and removed again if the store refuses the step.
    """
    move = _decision_move(outcome=outcome, note=note, actor=recorded_actor(store, actor), now=now)
    clean_nip = check_nip(nip, field="--nip") if nip else ""
    ticket = store.get(ticket_id)
    may_do(ticket, move, now=now, account=bound_account(store))
    decision = disposisi.Decision(
        outcome="approve" if move.outcome == "approve" else "defer",
        note=move.note,
        actor=move.actor,
        at=now,
        nip=clean_nip,
        kedudukan=kedudukan,
        ordinal=1 + sum(1 for e in ticket.events if e.step == 3),
    )
    doc = disposisi.build_disposisi(ticket, decision)
    folder = (out or reports_dir()) / doc.folder
    existed = {p.name for p in folder.glob(f"{doc.slug}.*")}
    written = write_document(doc, out=out)
    record = written.to_json() | {"nip": clean_nip, "kedudukan": kedudukan}
    try:
        ticket = store.apply(ticket_id, move.model_copy(update={"outputs": {"disposisi": record}}))
    except Exception:
        for f in (written.html, written.pdf):
            if f.path.name not in existed:
                f.path.unlink(missing_ok=True)
        raise
    return ticket, written


@dataclass(frozen=True, slots=True)
class Rewritten:
    """A Lembar Disposisi written again from the record, and whether it matches the recorded hashes."""

    files: DocumentFiles
    recorded: bool
    """The step-3 event holds the sheet's hashes (False: recorded without a sheet)."""
    matches: bool
    """The files written now have the recorded SHA-256 (always False when not recorded)."""

    def to_json(self) -> dict[str, object]:
        return self.files.to_json() | {"recorded": self.recorded, "matches": self.matches}


def _intact(doc_folder: Path, slug: str, record: DispositionRecord) -> DocumentFiles | None:
    """The recorded sheet's files when they are still in ``doc_folder`` with the recorded SHA-256."""
    html, pdf = doc_folder / f"{slug}.html", doc_folder / f"{slug}.pdf"
    if not (html.is_file() and pdf.is_file()):
        return None
    if (sha256_file(html), sha256_file(pdf)) != (record.html.sha256, record.pdf.sha256):
        return None
    return DocumentFiles(
        kind=record.kind,
        number=record.number,
        html=WrittenFile(html, record.html.sha256),
        pdf=WrittenFile(pdf, record.pdf.sha256),
    )


def write_disposisi(ticket: Ticket, *, out: Path | None = None) -> Rewritten:
    """The Lembar Disposisi of the ticket's latest step-3 decision, written again from the record.

    Files still there with the recorded SHA-256 are kept as they are; otherwise the sheet is
    written again (deterministic: the same decision gives the same bytes) and compared.
    """
    decisions = disposisi.recorded_decisions(ticket)
    if not decisions:
        raise IncompleteTicketError(
            f"ticket {ticket.id}: the Kepala Dinas has not decided yet (step 3); record it with"
            f" 'sipelangi-net ticket approve {ticket.id}'"
            f" or 'sipelangi-net ticket defer {ticket.id} --note ...'"
        )
    decision, record = decisions[-1]
    doc = disposisi.build_disposisi(ticket, decision)
    if record is not None:
        kept = _intact((out or reports_dir()) / doc.folder, doc.slug, record)
        if kept is not None:
            return Rewritten(kept, recorded=True, matches=True)
    written = write_document(doc, out=out)
    matches = record is not None and (record.html.sha256, record.pdf.sha256) == (
        written.html.sha256,
        written.pdf.sha256,
    )
    return Rewritten(written, recorded=record is not None, matches=matches)


def record_installation_report(
    store: TicketStore,
    ticket_id: str,
    *,
    actor: str,
    photos: tuple[Path, ...] = (),
    attachments: tuple[Attachment, ...] = (),
    address: str = "",
    out: Path | None = None,
    record: bool = True,
) -> tuple[Ticket, DocumentFiles]:
    """SOP step 10: write the installation report and (``record``) record its paths and SHA-256."""
    ticket = store.get(ticket_id)
    reports = out or reports_dir()
    build_installation_report(ticket, attachments=attachments, address=address)  # fail before copying photos
    kept = files.keep_photos(photos, reports, ticket_id)
    doc = build_installation_report(ticket, attachments=(*attachments, *kept), address=address)
    written = write_document(doc, out=reports)
    if record:
        outputs: dict[str, Any] = {
            "report": written.to_json() | {"attachments": [asdict(a) for a in (*attachments, *kept)]}
        }
        ticket = store.apply(ticket_id, Move(step=10, actor=actor, outputs=outputs))
    return ticket, written


def parse_month(text: str) -> tuple[int, int]:
    try:
        day = dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise DocumentInputError(f"--month: {text!r} is not a month (YYYY-MM, e.g. 2026-11)") from None
    return day.year, day.month


def write_intranet_report(
    store: TicketStore,
    *,
    year: int,
    month: int,
    prepared_by: Signer,
    opd_of: dict[str, str] | None = None,
    out: Path | None = None,
    skipped: list[Skipped] | None = None,
    standards: FaultStandards = DEFAULTS,
    now: dt.datetime | None = None,
) -> DocumentFiles:
    """The monthly Laporan Jaringan Intra Pemerintah over every ticket of the store.

    A ticket whose stored record does not fit the schema is left out (logged, and added to
    ``skipped``): one malformed ticket never stops the report on the others. The fault sections
    come from the store's fault tickets (a local store; a server's store has none here), timed
    against ``standards`` (``inventory/fault_standards.yaml``).
    """
    start, end = period(year, month)
    reports = out or reports_dir()
    found = latest_compliance(reports, before=end.date())
    run, source = (found[1], str(found[0])) if found else (None, "")
    tickets, bad = screen(store.tickets(), doing="the monthly intranet report")
    records = getattr(unwrapped(store), "faults", None)
    faults = list(records.list(since=start, until=end)) if records is not None else None
    if skipped is not None:
        skipped.extend([*getattr(store, "skipped", ()), *bad, *getattr(records, "skipped", ())])
    doc = build_intranet_report(
        tickets,
        year=year,
        month=month,
        prepared_by=prepared_by,
        compliance=run,
        compliance_source=source,
        opd_of=opd_of,
        faults=faults,
        standards=standards,
        now=min(now or dt.datetime.now(dt.UTC), end),
    )
    return write_document(doc, out=reports)
