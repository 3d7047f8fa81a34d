"""``sipelangi-net ticket``: the SiPelangi ticket record and the SOP workflow."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from sipelangi_net.cli.output import add_row, line, say, say_json, show_table, styled, table

ticket_app = typer.Typer(
    help="Tickets of the SOP (SiPelangi): open, approve, defer, record steps, close.", no_args_is_help=True
)

DbOpt = typer.Option(
    None,
    "--db",
    help="SQLite ticket database (default: SIPELANGI_DB or ~/.local/share/sipelangi-net/tickets.db).",
)
StoreOpt = typer.Option(
    None, "--store", help="A SiPelangi server URL instead of the local database (or SIPELANGI_STORE)."
)
JsonOpt = typer.Option(False, "--json", help="Machine-readable output.")
ActorOpt = typer.Option(
    None,
    "--actor",
    help="Who does the step, as recorded in single-engineer mode (default: SIPELANGI_ACTOR or the"
    " login name); with accounts (SIPELANGI_TOKEN, a server) the account's name is recorded instead.",
)
InventoryOpt = typer.Option(None, "--inventory", "-i", help="Inventory directory (sites and applications).")


def _store(db: Path | None, store: str | None) -> Any:
    from sipelangi_net.cli.identity import acting
    from sipelangi_net.tickets.store import open_store

    return acting(open_store(store or db))


@contextlib.contextmanager
def opened(db: Path | None, store: str | None) -> Iterator[Any]:
    """The ticket store of the options, its writes done by who the CLI is (cli/identity.py), closed
    afterwards."""
    st = _store(db, store)
    try:
        yield st
    finally:
        st.close()


def _actor(actor: str | None, option: str = "--actor") -> str:
    """Who does the step: the option, else SIPELANGI_ACTOR, else the login name; one line of text."""
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.validate import refuse_unsafe

    who, where = actor, option
    if not who:
        who, where = os.environ.get("SIPELANGI_ACTOR"), "SIPELANGI_ACTOR"
    if not who:
        who, where = getpass.getuser(), "the login name"
    try:
        name = refuse_unsafe(who, where=where).strip()
    except ValueError as exc:
        raise ConfigError(f"{exc}; give the name as one line of printable text") from None
    if not name:
        raise ConfigError(f"{where}: only blanks; give the name of who does the step")
    return name


@contextlib.contextmanager
def already_stored(ticket_id: str, what: str) -> Iterator[None]:
    """Around the work after a store write: if it fails, say what is stored, so a retry does not repeat it."""
    try:
        yield
    except BaseException:
        say(
            f"note: {what} is stored (see 'sipelangi-net ticket show {ticket_id}');"
            " do not run the command again",
            err=True,
        )
        raise


def _when(value: str | None, option: str) -> dt.datetime | None:
    from sipelangi_net.errors import ConfigError

    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{option}: {value!r} is not an ISO date-time (e.g. 2026-11-28T09:30+07:00)"
        ) from None
    if parsed.tzinfo is None:
        raise ConfigError(f"{option}: give a time zone (e.g. +07:00 for WIB)")
    return parsed


def _print_ticket(ticket: Any, as_json: bool) -> None:
    if as_json:
        say_json(ticket.to_json())
        return
    from sipelangi_net.tickets.messages import WIB

    req = ticket.request
    line(styled(ticket.id, "bold"), f"  {req.opd}  site {req.site}  status ", styled(ticket.status, "bold"))
    say(
        f"PIC {req.pic.name} <{req.pic.email}> {req.pic.phone}; {req.users} users; "
        f"applications {', '.join(req.applications)}; letter {req.letter.number} ({req.letter.date})"
    )
    events = table("", ("#", "step", "outcome", "actor", "role", "ended (WIB)", "took", "standard", ""))
    for e in ticket.events:
        took = _duration(e.duration_s)
        mark = styled("over standard", "red") if e.breach else "ok"
        add_row(
            events,
            str(e.seq),
            f"{e.step} {e.to_json()['title']}",
            e.outcome,
            e.actor,
            e.role,
            e.ended_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M"),
            took,
            _duration(e.standard_s),
            mark,
        )
    show_table(events)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _apply(db: Path | None, store: str | None, ticket_id: str, move: Any, as_json: bool) -> None:
    with opened(db, store) as st:
        ticket = st.apply(ticket_id, move)
        with already_stored(ticket_id, f"step {move.step} of ticket {ticket_id}"):
            _deliver(st)
    with already_stored(ticket_id, f"step {move.step} of ticket {ticket_id}"):
        _print_ticket(ticket, as_json)


def _deliver(st: Any) -> None:
    """Send due notifications now; a failure is recorded on the outbox and retried later."""
    from sipelangi_net.tickets.notify import deliver_due, transports_from_env

    transports = transports_from_env()
    if transports and hasattr(st, "retry_failed"):  # the local store delivers; a server delivers its own
        report = deliver_due(st, transports)
        for err in report.errors:
            say(f"notification not delivered (will retry): {err}", err=True)


@ticket_app.command("new")
def new(
    file: Path | None = typer.Option(None, "--file", "-f", help="Request letter as YAML or JSON."),
    opd: str | None = typer.Option(None, help="Office name (OPD)."),
    site: str | None = typer.Option(None, help="Site key from inventory/sites.yaml."),
    pic_name: str | None = typer.Option(None, help="Contact person's name."),
    pic_phone: str | None = typer.Option(None, help="Contact person's phone."),
    pic_email: str | None = typer.Option(None, help="Contact person's e-mail."),
    users: int | None = typer.Option(None, help="Number of users."),
    app: list[str] = typer.Option([], "--app", help="Application key (repeat)."),
    letter_number: str | None = typer.Option(None, help="Request letter number."),
    letter_date: str | None = typer.Option(None, help="Request letter date (YYYY-MM-DD)."),
    notes: str = typer.Option("", help="Notes."),
    helpdesk: str | None = typer.Option(
        None,
        help="Helpdesk officer opening the ticket, as recorded in single-engineer mode (default:"
        " --actor rules); with accounts the account's name is recorded instead.",
    ),
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Open a ticket from a request letter (SOP steps 1 and 2)."""
    from sipelangi_net.errors import RequestError
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir
    from sipelangi_net.tickets.intake import read_request_file, validate_request

    if file is not None:
        if (
            any(v is not None for v in (opd, site, pic_name, pic_phone, pic_email, users, letter_number))
            or app
        ):
            raise RequestError("give the request either as --file or as flags, not both")
        raw, source = read_request_file(file), str(file)
    else:
        raw = {
            k: v
            for k, v in {
                "opd": opd,
                "site": site,
                "users": users,
                "applications": app or None,
                "notes": notes or None,
                "pic": {"name": pic_name, "phone": pic_phone, "email": pic_email},
                "letter": {"number": letter_number, "date": letter_date},
            }.items()
            if v is not None
        }
        raw["pic"] = {k: v for k, v in raw["pic"].items() if v is not None}
        raw["letter"] = {k: v for k, v in raw["letter"].items() if v is not None}
        source = "request"
    request = validate_request(raw, load_inventory(inventory or inventory_dir()), source=source)
    with opened(db, store) as st:
        ticket = st.create(request, helpdesk=_actor(helpdesk, "--helpdesk"))
    with already_stored(ticket.id, f"ticket {ticket.id}"):
        _print_ticket(ticket, as_json)


@ticket_app.command("list")
def list_(
    status: str | None = typer.Option(None, help="Only tickets with this status."),
    since: str | None = typer.Option(None, help="Created at or after (ISO date-time with zone)."),
    until: str | None = typer.Option(None, help="Created before (ISO date-time with zone)."),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """List tickets (a ticket whose stored record is unreadable is skipped, with a warning on stderr)."""
    from sipelangi_net.cli.skipped import report_skipped

    with opened(db, store) as st:
        tickets = st.tickets(status=status, since=_when(since, "--since"), until=_when(until, "--until"))
        report_skipped(getattr(st, "skipped", ()))
    if as_json:
        say_json(
            [
                {
                    "id": t.id,
                    "status": t.status,
                    "opd": t.request.opd,
                    "site": t.request.site,
                    "created_at": t.created_at.isoformat(),
                }
                for t in tickets
            ]
        )
        return
    for t in tickets:
        say(f"{t.id}  {t.status:<14} {t.request.site:<16} {t.request.opd}")


@ticket_app.command("show")
def show(
    ticket_id: str, db: Path | None = DbOpt, store: str | None = StoreOpt, as_json: bool = JsonOpt
) -> None:
    """Show a ticket with every SOP step, its time and the standard (breaches marked)."""
    with opened(db, store) as st:
        ticket = st.get(ticket_id)
    _print_ticket(ticket, as_json)


NipOpt = typer.Option("", "--nip", help="NIP of who decides (18 digits), shown on the Lembar Disposisi.")
KedudukanOpt = typer.Option(
    "", "--kedudukan", help="Deciding as 'plt' or 'plh' of the Kepala Dinas (default: the Kepala Dinas)."
)
ReportsOpt = typer.Option(None, "--out", help="Reports directory (default: SIPELANGI_REPORTS or ./reports).")
KEDUDUKAN = {"": "", "plt": "Plt.", "plh": "Plh."}


def _decide(
    ticket_id: str,
    outcome: str,
    *,
    note: str,
    actor: str | None,
    nip: str,
    kedudukan: str,
    db: Path | None,
    store: str | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Record step 3 with its Lembar Disposisi (PDF + HTML, hashes on the event); deliver the mail due."""
    from sipelangi_net.documents.service import record_decision
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.sqlite import utcnow
    from sipelangi_net.validate import printable

    seat = KEDUDUKAN.get(kedudukan.strip().lower().rstrip("."))
    if seat is None:
        raise ConfigError(f"--kedudukan {printable(kedudukan)!r}: expected plt or plh (or nothing)")
    with opened(db, store) as st:
        ticket, files = record_decision(
            st,
            ticket_id,
            outcome=outcome,
            note=note,
            actor=_actor(actor),
            now=utcnow(),
            nip=nip,
            kedudukan=seat,  # type: ignore[arg-type]
            out=out,
        )
        with already_stored(ticket_id, f"step 3 of ticket {ticket_id}"):
            _deliver(st)
    with already_stored(ticket_id, f"step 3 of ticket {ticket_id}"):
        _print_ticket(ticket, as_json)
        if not as_json:
            say(f"Lembar Disposisi {files.number}: {files.pdf.path} (sha256 {files.pdf.sha256})")


@ticket_app.command("approve")
def approve(
    ticket_id: str,
    actor: str | None = ActorOpt,
    note: str = typer.Option("", help="Disposition note."),
    nip: str = NipOpt,
    kedudukan: str = KedudukanOpt,
    out: Path | None = ReportsOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Kepala Dinas approves the request (SOP step 3: YA); writes the Lembar Disposisi."""
    _decide(
        ticket_id, "approve", note=note, actor=actor, nip=nip, kedudukan=kedudukan,
        db=db, store=store, out=out, as_json=as_json,
    )  # fmt: skip


@ticket_app.command("defer")
def defer(
    ticket_id: str,
    note: str = typer.Option(..., help="The Kepala Dinas's consideration (why it is deferred)."),
    actor: str | None = ActorOpt,
    nip: str = NipOpt,
    kedudukan: str = KedudukanOpt,
    out: Path | None = ReportsOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Kepala Dinas defers the request with a consideration (SOP step 3: TIDAK); writes the Lembar
    Disposisi, and the requester's PIC is told the consideration."""
    _decide(
        ticket_id, "defer", note=note, actor=actor, nip=nip, kedudukan=kedudukan,
        db=db, store=store, out=out, as_json=as_json,
    )  # fmt: skip


@ticket_app.command("record")
def record(
    ticket_id: str,
    step: int = typer.Option(..., help="SOP step number (3-11; see docs/tickets.md for what each allows)."),
    outcome: str = typer.Option("done", help="done or failed (step 3: approve or defer)."),
    note: str = typer.Option("", help="Note (required when failed)."),
    output: list[str] = typer.Option(
        [], "--output", help="An output as key=value (repeat; step 6 done: schedule, agreed_with)."
    ),
    started_at: str | None = typer.Option(None, help="When the step started (ISO, with zone)."),
    ended_at: str | None = typer.Option(None, help="When the step ended (ISO, with zone; default now)."),
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record an SOP step done by hand (or failed), with the same checks as the command that does it.

    Steps whose outputs a command makes (the plan, the deploy report, the bandwidth test, the signed
    scan, the report's files) are recorded done only by that command (docs/tickets.md).
    """
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.models import Move
    from sipelangi_net.tickets.outputs import check_by_hand
    from sipelangi_net.validate import printable

    outputs: dict[str, str] = {}
    for item in output:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--output {printable(item)!r}: expected key=value")
        outputs[key] = value
    move = _move(
        Move,
        step=step,
        actor=_actor(actor),
        outcome=outcome,
        note=note,
        outputs=outputs,
        started_at=_when(started_at, "--started-at"),
        ended_at=_when(ended_at, "--ended-at"),
    )
    check_by_hand(ticket_id, move.step, move.outcome, outputs)
    _apply(db, store, ticket_id, move, as_json)


@ticket_app.command("close")
def close(
    ticket_id: str,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Helpdesk closes the ticket (SOP step 11); the requester is notified (step 12)."""
    from sipelangi_net.tickets.models import Move

    _apply(db, store, ticket_id, _move(Move, step=11, actor=_actor(actor)), as_json)


@ticket_app.command("resubmit")
def resubmit(
    ticket_id: str,
    letter_number: str = typer.Option(..., help="The revised letter's number."),
    letter_date: str = typer.Option(..., help="The revised letter's date (YYYY-MM-DD)."),
    note: str = typer.Option(..., help="What was revised."),
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The pemohon resubmits a deferred request, revised (step 1 again); the helpdesk forwards it."""
    from sipelangi_net.tickets.models import Move

    letter = {"number": letter_number, "date": letter_date}
    move = _move(Move, step=1, actor=_actor(actor), outcome="resubmit", note=note, outputs={"letter": letter})
    _apply(db, store, ticket_id, move, as_json)


@ticket_app.command("forward")
def forward(
    ticket_id: str,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Helpdesk forwards a submitted or resubmitted request to the Kepala Dinas (SOP step 2)."""
    from sipelangi_net.tickets.models import Move

    move = _move(Move, step=2, actor=_actor(actor), outputs={"forwarded_to": "Kepala Dinas"})
    _apply(db, store, ticket_id, move, as_json)


@ticket_app.command("withdraw")
def withdraw(
    ticket_id: str,
    note: str = typer.Option(..., help="Why the request is withdrawn."),
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The pemohon (or the helpdesk for them) withdraws a request not yet approved: an end state."""
    from sipelangi_net.tickets.models import Move

    move = _move(Move, step=11, actor=_actor(actor), outcome="withdraw", note=note)
    _apply(db, store, ticket_id, move, as_json)


@ticket_app.command("acknowledge")
def acknowledge(
    ticket_id: str,
    note: str = typer.Option("", help="A remark on the report."),
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Kepala Bidang acknowledges the installation report (step 10) before the helpdesk closes."""
    from sipelangi_net.tickets.models import Move

    move = _move(Move, step=10, actor=_actor(actor), outcome="acknowledge", note=note)
    _apply(db, store, ticket_id, move, as_json)


@ticket_app.command("verify")
def verify(
    ticket_id: str | None = typer.Argument(None, help="The ticket to check (or --all)."),
    all_: bool = typer.Option(False, "--all", help="Check the whole store and its checkpoints."),
    adopt: bool = typer.Option(
        False,
        "--adopt",
        help="Seal events recorded before sealing, checkpoint every verified ticket (--all).",
    ),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Check the audit record: hash chain, status, MACs, checkpoints; anything wrong → exit 6.

    Against a server (--store URL) only the hash chain and the status are checked here: the
    audit key and the checkpoints are on the server, run the check there.
    """
    from sipelangi_net.errors import ConfigError

    if (ticket_id is not None) == (all_ or adopt):
        raise ConfigError("ticket verify: give a ticket id, or --all (with --adopt to adopt an older store)")
    with opened(db, store) as st:
        if not hasattr(st, "audit"):
            if adopt:
                raise ConfigError(
                    "--adopt: run it where the database and the audit key are, not over --store"
                )
            result = _verify_remote(st, ticket_id)
        elif adopt:
            adoption, result = st.adopt()
            _print_adoption(adoption, as_json)
        else:
            result = st.audit(ticket_id)
    _report_audit(result, ticket_id, as_json)


def _verify_remote(st: Any, ticket_id: str | None) -> Any:
    from sipelangi_net.tickets.audit import StoreAudit, TicketAudit, check_plain, number_gaps

    tickets = [st.get(ticket_id)] if ticket_id else st.tickets()
    results = [TicketAudit(t.id, len(t.events), tuple(check_plain(t))) for t in tickets]
    if ticket_id is None:
        results += [
            TicketAudit(i, 0, (f"{i}: missing from the store: {why}",))
            for i, why in number_gaps(t.id for t in tickets).items()
        ]
    return StoreAudit(
        store=st.url,
        store_id="",
        key_id=None,
        checkpoints="",
        tickets=tuple(sorted(results, key=lambda r: r.ticket_id)),
        notes=("the audit key and checkpoints are on the server: run 'ticket verify --all' there",),
    )


def _print_adoption(adoption: Any, as_json: bool) -> None:
    if as_json:
        return
    say(f"adopted {len(adoption.adopted)} tickets: {', '.join(adoption.adopted) or '-'}")
    for why in adoption.refused:
        say(f"  not adopted: {why}")


def _report_one(result: Any, ticket_id: str, as_json: bool) -> None:
    from sipelangi_net.errors import IntegrityError

    one = next(t for t in result.tickets if t.ticket_id == ticket_id)
    problems = [*one.problems, *result.problems]
    if as_json:
        say_json({**one.to_json(), "ok": not problems, "problems": problems}, indent=None)
        if problems:
            raise typer.Exit(IntegrityError.exit_code)
        return
    if problems:
        raise IntegrityError("; ".join(problems))
    what = "hash chain and status" if not result.key_id else "hash chain, status, seals and checkpoints"
    say(f"{one.ticket_id}: {one.events} events, {what} verified")


def _report_audit(result: Any, ticket_id: str | None, as_json: bool) -> None:
    from sipelangi_net.errors import IntegrityError

    if ticket_id is not None:
        _report_one(result, ticket_id, as_json)
        return
    if as_json:
        say_json(result.to_json())
        if not result.ok:
            raise typer.Exit(IntegrityError.exit_code)
        return
    for t in result.broken:
        say(f"{t.ticket_id}: BROKEN ({t.events} events)")
        for problem in t.problems:
            say(f"  - {problem}")
    for problem in result.problems:
        say(f"store: {problem}")
    for note in result.notes:
        say(f"note: {note}")
    summary = f"{result.store}: {len(result.tickets)} tickets, {len(result.broken)} broken"
    if not result.ok:
        raise IntegrityError(summary)
    say(f"{summary}; every chain, status, seal and checkpoint verified" if result.key_id else summary)


@ticket_app.command("sla")
def sla(
    since: str | None = typer.Option(None, help="Events that ended at or after (ISO date-time with zone)."),
    until: str | None = typer.Option(None, help="Events that ended before (ISO date-time with zone)."),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Time per SOP step against the standard: count, median, share within standard."""
    from sipelangi_net.cli.skipped import report_skipped
    from sipelangi_net.tickets.sla import summarise

    with opened(db, store) as st:
        tickets = st.tickets()
        report_skipped(getattr(st, "skipped", ()))
    rows = summarise(tickets, since=_when(since, "--since"), until=_when(until, "--until"))
    if as_json:
        say_json([r.to_json() for r in rows])
        return
    steps = table(
        "Waktu per langkah SOP terhadap standar",
        ("step", "standard", "count", "median", "within standard", "breaches"),
    )
    for r in rows:
        add_row(
            steps,
            f"{r.step} {r.title}",
            _duration(r.standard_s),
            str(r.count),
            _duration(r.median_s) if r.median_s is not None else "-",
            f"{r.within_standard:.0%}" if r.within_standard is not None else "-",
            str(r.breaches),
        )
    show_table(steps)


def _move(model: Any, **fields: Any) -> Any:
    from pydantic import ValidationError

    from sipelangi_net.errors import RequestError
    from sipelangi_net.validate import printable

    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(printable(str(p)) for p in err["loc"])
        raise RequestError(f"--{field.replace('_', '-')}: {err['msg']}") from None


@ticket_app.command("notify")
def notify(
    retry: bool = typer.Option(False, "--retry", help="Also retry notifications that failed too often."),
    ticket_id: str | None = typer.Option(None, "--ticket", help="Only this ticket's notifications."),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Deliver due notifications to the requesters' PICs (SMTP and/or webhook, from the environment).

    A closing notice delivered completes its ticket (SOP step 12, by the system): recorded here on a
    local database, by the server when it is told of the delivery (--store URL: any account of the
    Dinas may deliver, not a pemohon). Exit 0 when nothing failed, 1 when a delivery failed (it
    stays queued and is retried).
    """
    from sipelangi_net.tickets.notify import deliver_due, transports_from_env
    from sipelangi_net.tickets.store import open_store

    transports = transports_from_env()
    st: Any = open_store(store or db)
    try:
        retried = st.retry_failed(ticket_id) if retry else 0
        report = deliver_due(st, transports)
        waiting = len(st.outbox(ticket_id=ticket_id))
    finally:
        st.close()
    result = {
        "sent": report.sent,
        "failed": report.failed,
        "skipped": report.skipped,
        "retried": retried,
        "still_queued": waiting,
        "errors": list(report.errors),
        "channels": sorted(transports),
    }
    if as_json:
        say_json(result)
    else:
        say(
            f"sent {report.sent}, failed {report.failed}, skipped {report.skipped} (no channel configured),"
            f" still queued {waiting}; channels: {', '.join(sorted(transports)) or 'none'}"
        )
        for err in report.errors:
            say(f"  {err}", err=True)
    if report.failed:
        raise typer.Exit(1)


@ticket_app.command("sign")
def sign(
    ticket_id: str,
    tim_kerja_name: str = typer.Option(..., "--tim-kerja-name", help="Tim Kerja signer's name."),
    tim_kerja_nip: str = typer.Option(..., "--tim-kerja-nip", help="Tim Kerja signer's NIP (18 digits)."),
    pemohon_name: str = typer.Option(..., "--pemohon-name", help="Pemohon signer's name."),
    pemohon_nip: str = typer.Option(..., "--pemohon-nip", help="Pemohon signer's NIP (18 digits)."),
    scan: Path = typer.Option(..., "--scan", help="The signed berita acara, scanned (PDF, JPEG or PNG)."),
    inventory: Path | None = InventoryOpt,
    actor: str | None = ActorOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record the signed Berita Acara (SOP step 9): who signed (name, NIP) and the scan's SHA-256.

    The scan is kept under reports/<ticket>/ and the final berita acara is written beside it.
    """
    from sipelangi_net.cli.document import _address, signers
    from sipelangi_net.documents.service import record_handover
    from sipelangi_net.tickets.sqlite import utcnow

    people = signers({"tim_kerja": (tim_kerja_name, tim_kerja_nip), "pemohon": (pemohon_name, pemohon_nip)})
    with opened(db, store) as st:
        site = st.get(ticket_id).request.site
        ticket, files = record_handover(
            st,
            ticket_id,
            signers=people,
            scan=scan,
            actor=_actor(actor),
            now=utcnow(),
            address=_address(site, inventory),
        )
    with already_stored(ticket.id, f"step 9 of ticket {ticket.id}"):
        _print_signed(ticket, files, as_json)


def _print_signed(ticket: Any, files: Any, as_json: bool) -> None:
    from sipelangi_net.tickets.outputs import HandedOver, outputs_of

    signed = outputs_of(ticket, ticket.events[-1], HandedOver).handover
    handover = signed.model_dump(mode="json") if signed is not None else {}
    if as_json:
        say_json(
            {"ticket": ticket.id, "status": ticket.status, "handover": handover, "document": files.to_json()}
        )
        return
    say(
        f"{ticket.id}: berita acara {handover['number']} signed;"
        f" scan {handover['scan']} sha256 {handover['scan_sha256']}"
    )
    say(f"  {files.pdf.path}  sha256 {files.pdf.sha256}")
