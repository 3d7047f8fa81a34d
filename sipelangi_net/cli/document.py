"""``sipelangi-net document``: lembar disposisi, berita acara, installation report, intranet report
(PDF + HTML)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.output import say, say_json
from sipelangi_net.cli.ticket import (
    ActorOpt,
    DbOpt,
    InventoryOpt,
    JsonOpt,
    StoreOpt,
    _actor,
    already_stored,
    opened,
)

document_app = typer.Typer(
    help="Documents for officials in Bahasa Indonesia (PDF and HTML under reports/).", no_args_is_help=True
)
OutOpt = typer.Option(None, "--out", help="Reports directory (default: SIPELANGI_REPORTS or ./reports).")
TimNameOpt = typer.Option(None, "--tim-kerja-name", help="Tim Kerja signer's name.")
TimNipOpt = typer.Option(None, "--tim-kerja-nip", help="Tim Kerja signer's NIP (18 digits).")


def _address(site: str, inventory: Path | None) -> str:
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir

    found = load_inventory(inventory or inventory_dir()).sites.get(site)
    return found.address if found is not None else ""


def _sites(inventory: Path | None) -> dict[str, str]:
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir

    return {k: s.opd for k, s in load_inventory(inventory or inventory_dir()).sites.items()}


def _standards(inventory: Path | None) -> Any:
    from sipelangi_net.faults.standards import load_standards
    from sipelangi_net.paths import inventory_dir

    return load_standards(inventory or inventory_dir())


def signers(role_values: dict[str, tuple[str | None, str | None]]) -> tuple[Any, ...]:
    """Signers from the ``--<role>-name``/``--<role>-nip`` pairs given (a pair half given is an error)."""
    from sipelangi_net.documents.service import make_signer
    from sipelangi_net.errors import DocumentInputError

    out = []
    for role, (name, nip) in role_values.items():
        flag = f"--{role.replace('_', '-')}"
        if name is None and nip is None:
            continue
        if name is None or nip is None:
            missing = f"{flag}-name" if name is None else f"{flag}-nip"
            raise DocumentInputError(f"{missing} is missing (give both {flag}-name and {flag}-nip)")
        out.append(make_signer(role, name, nip))  # type: ignore[arg-type]
    return tuple(out)


def _print(files: Any, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        say_json(files.to_json() | (extra or {}))
        return
    say(f"{files.kind} {files.number}")
    say(f"  {files.pdf.path}  sha256 {files.pdf.sha256}")
    say(f"  {files.html.path}  sha256 {files.html.sha256}")


@document_app.command("disposisi")
def disposisi_command(
    ticket_id: str,
    out: Path | None = OutOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Lembar Disposisi (SOP step 3) of the latest decision, again from the ticket (e.g. to print it).

    'ticket approve' and 'ticket defer' write it and record its SHA-256; this writes the same bytes
    again and says whether they match the record (exit 6 when they do not).
    """
    from sipelangi_net.documents.service import write_disposisi
    from sipelangi_net.errors import IntegrityError

    with opened(db, store) as st:
        ticket = st.get(ticket_id)
    again = write_disposisi(ticket, out=out)
    _print(again.files, as_json, {"ticket": ticket.id, "recorded": again.recorded, "matches": again.matches})
    if not as_json and not again.recorded:
        say("  note: step 3 was recorded without a Lembar Disposisi; these files are not on the ticket")
    if again.recorded and not again.matches:
        raise IntegrityError(
            f"ticket {ticket.id}: the Lembar Disposisi written now differs from the SHA-256 recorded on"
            " step 3 (templates or fonts changed since?); keep the files recorded then"
        )


@document_app.command("berita-acara")
def berita_acara_command(
    ticket_id: str,
    tim_kerja_name: str | None = TimNameOpt,
    tim_kerja_nip: str | None = TimNipOpt,
    pemohon_name: str | None = typer.Option(None, "--pemohon-name", help="Pemohon signer's name."),
    pemohon_nip: str | None = typer.Option(None, "--pemohon-nip", help="Pemohon signer's NIP (18 digits)."),
    inventory: Path | None = InventoryOpt,
    out: Path | None = OutOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Berita Acara (SOP step 9): a draft to sign (give the signers), or the signed one after signing."""
    import datetime as dt

    from sipelangi_net.documents.service import write_berita_acara
    from sipelangi_net.tickets.messages import WIB

    people = signers({"tim_kerja": (tim_kerja_name, tim_kerja_nip), "pemohon": (pemohon_name, pemohon_nip)})
    with opened(db, store) as st:
        ticket = st.get(ticket_id)
    files = write_berita_acara(
        ticket,
        signers=people,
        on=dt.datetime.now(WIB).date(),
        address=_address(ticket.request.site, inventory),
        out=out,
    )
    _print(files, as_json)


@document_app.command("laporan-pemasangan")
def laporan_pemasangan_command(
    ticket_id: str,
    photo: list[Path] = typer.Option([], "--photo", help="A photo of the work, JPEG or PNG (repeat)."),
    record: bool = typer.Option(True, "--record/--no-record", help="Record SOP step 10 on the ticket."),
    actor: str | None = ActorOpt,
    inventory: Path | None = InventoryOpt,
    out: Path | None = OutOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Laporan Pelaksanaan Pemasangan Jaringan (SOP step 10), recorded on the ticket with its hashes."""
    from sipelangi_net.documents.service import record_installation_report

    with opened(db, store) as st:
        site = st.get(ticket_id).request.site
        ticket, files = record_installation_report(
            st,
            ticket_id,
            actor=_actor(actor),
            photos=tuple(photo),
            address=_address(site, inventory),
            out=out,
            record=record,
        )
    with already_stored(ticket.id, f"step 10 of ticket {ticket.id}") if record else contextlib.nullcontext():
        _print(files, as_json, {"ticket": ticket.id, "status": ticket.status})


@document_app.command("laporan-intra")
def laporan_intra_command(
    month: str = typer.Option(..., "--month", help="The month, YYYY-MM."),
    tim_kerja_name: str | None = TimNameOpt,
    tim_kerja_nip: str | None = TimNipOpt,
    inventory: Path | None = InventoryOpt,
    out: Path | None = OutOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Laporan Jaringan Intra Pemerintah for one month: tickets, SOP times, compliance, availability
    per OPD and faults with their times to repair, bandwidth."""
    from sipelangi_net.cli.skipped import report_skipped
    from sipelangi_net.documents.service import parse_month, write_intranet_report
    from sipelangi_net.errors import DocumentInputError

    year, mon = parse_month(month)
    people = signers({"tim_kerja": (tim_kerja_name, tim_kerja_nip)})
    if not people:
        raise DocumentInputError(
            "the report is signed by its author: give --tim-kerja-name and --tim-kerja-nip"
        )
    author = people[0]
    skipped: list[Any] = []
    with opened(db, store) as st:
        files = write_intranet_report(
            st,
            year=year,
            month=mon,
            prepared_by=author,
            opd_of=_sites(inventory),
            out=out,
            skipped=skipped,
            standards=_standards(inventory),
        )
    _print(files, as_json, {"skipped": report_skipped(skipped)})
