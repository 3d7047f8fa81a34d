"""``sipelangi-net user``: the accounts of a SiPelangi database; ``sipelangi-net login``: a server's token.

``user`` commands work on a SQLite database (``--db``, else ``SIPELANGI_DB``/the default; the
server's own database when run on the server's machine): whoever can write that file manages
its accounts. Passwords are read from the terminal (twice) or, for scripts, one line on stdin
(``--password-stdin``); never from an argument, which other users can see in ``ps``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sipelangi_net.cli.output import add_row, say, say_json, show_table, table
from sipelangi_net.cli.ticket import DbOpt, InventoryOpt, JsonOpt

StoreOpt = typer.Option(
    None,
    "--store",
    help="A SiPelangi server URL: manage its accounts with an admin's token (or SIPELANGI_STORE).",
)

if TYPE_CHECKING:
    from sipelangi_net.accounts.models import Account
    from sipelangi_net.accounts.remote import HttpAccounts
    from sipelangi_net.accounts.store import SqliteAccounts

user_app = typer.Typer(
    help="Accounts of the SOP's people (pemohon, helpdesk, kepala_dinas, kepala_bidang, tim_kerja, admin).",
    no_args_is_help=True,
)

PasswordStdinOpt = typer.Option(
    False, "--password-stdin", help="Read the password as one line on stdin (for scripts)."
)
MAX_STDIN = 4096


def server_url(db: Path | None, store: str | None) -> str | None:
    """The server whose accounts the command manages (``--store URL``, else a URL in SIPELANGI_STORE
    or the workspace), or None for a database file (``--db`` wins over SIPELANGI_STORE)."""
    from sipelangi_net.tickets.store import configured_location

    loc = store if store is not None else ("" if db is not None else configured_location())
    return loc if loc.startswith(("http://", "https://")) else None


def accounts_db(db: Path | None, store: str | None = None) -> SqliteAccounts | HttpAccounts:
    """The accounts of a server (``--store URL``/SIPELANGI_STORE; the caller's token must be an
    admin's), else of ``--db``, else of the local ticket database."""
    from sipelangi_net.accounts.store import SqliteAccounts
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.tickets.store import default_db_path

    url = server_url(db, store)
    if url is not None:
        from sipelangi_net.accounts.remote import HttpAccounts
        from sipelangi_net.tickets.http import HttpStore

        return HttpAccounts(HttpStore(url, token=os.environ.get("SIPELANGI_TOKEN") or None))
    if store:
        raise ConfigError(
            f"--store {store!r}: not a server URL (http(s)://...); for a database file use --db"
        )
    if db is not None:
        return SqliteAccounts(db)
    from sipelangi_net.tickets.store import configured_location

    loc = configured_location()
    return SqliteAccounts(Path(loc) if loc else default_db_path())


def _stdin_line(what: str) -> str:
    from sipelangi_net.errors import ConfigError

    text = sys.stdin.readline(MAX_STDIN + 1)
    if len(text) > MAX_STDIN:
        raise ConfigError(f"{what} on stdin: longer than {MAX_STDIN} characters")
    text = text.rstrip("\r\n")
    if not text:
        raise ConfigError(f"{what} on stdin: nothing was read; give it as one line")
    return text


def read_password(*, from_stdin: bool, confirm: bool) -> str | None:
    """The password from stdin, else typed twice in a terminal; ``None`` without either."""
    from sipelangi_net.errors import ConfigError
    from sipelangi_net.logs import register_secret

    if from_stdin:
        password = _stdin_line("the password")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Password again: ") != password:
            raise ConfigError("the two passwords differ; nothing was changed")
    else:
        return None
    register_secret(password)
    return password


def _row(account: Account) -> list[str]:
    flags = [f for f, on in (("disabled", account.disabled), ("local", account.local)) if on]
    acting = "; ".join(f"{d.kind} Kepala Dinas {d.start}..{d.end}" for d in account.delegations)
    return [
        str(account.id),
        account.username,
        account.display_name,
        str(account.role),
        account.opd or "",
        ", ".join(account.sites),
        acting,
        ", ".join(flags),
    ]


def _show(account: Account, as_json: bool) -> None:
    if as_json:
        say_json(account.model_dump(mode="json"))
        return
    tbl = table("", ("id", "username", "name", "role", "OPD", "sites", "delegation", ""))
    add_row(tbl, *_row(account))
    show_table(tbl)


def _site_opds(inventory: Path | None) -> dict[str, str]:
    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir

    return {k: s.opd for k, s in load_inventory(inventory or inventory_dir()).sites.items()}


@user_app.command("add")
def add(
    username: str = typer.Argument(..., help="Login name: lower-case letters, digits, . _ - (max 32)."),
    role: str = typer.Option(
        ..., "--role", help="pemohon, helpdesk, kepala_dinas, kepala_bidang, tim_kerja, admin."
    ),
    name: str = typer.Option(
        ..., "--name", help="The person's name as written (e.g. 'Siti Aminah, S.Kom.')."
    ),
    opd: str | None = typer.Option(
        None, "--opd", help="pemohon only: the OPD (its name in sites.yaml, or one of its site keys)."
    ),
    password_stdin: bool = PasswordStdinOpt,
    inventory: Path | None = InventoryOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Add an account (password asked twice in a terminal; without one, only tokens log it in)."""
    from sipelangi_net.accounts.models import AccountRole, opd_sites
    from sipelangi_net.accounts.store import SqliteAccounts as SqliteAccountsType
    from sipelangi_net.errors import AccountError

    try:
        account_role = AccountRole(role)
    except ValueError:
        raise AccountError(f"--role: {role!r} is not a role; give one of {', '.join(AccountRole)}") from None
    opd_name: str | None = None
    sites: tuple[str, ...] = ()
    remote = server_url(db, store) is not None
    if opd is not None:
        if account_role is not AccountRole.PEMOHON:
            raise AccountError(f"--opd: only a pemohon account has an OPD (this one is {account_role})")
        if not remote:  # a server binds the OPD by its own inventory
            opd_name, sites = opd_sites(opd, _site_opds(inventory))
    elif account_role is AccountRole.PEMOHON:
        raise AccountError("--opd: a pemohon account needs its OPD (the name in sites.yaml or a site key)")
    if remote:
        _check_names(username, name)
    password = read_password(from_stdin=password_stdin, confirm=True)
    accounts = accounts_db(db, store)
    try:
        if remote:
            assert not isinstance(accounts, SqliteAccountsType)
            account = accounts.add(username, display_name=name, role=account_role, opd=opd, password=password)
        else:
            assert isinstance(accounts, SqliteAccountsType)
            account = _add(accounts, username, name, account_role, opd_name, sites, password)
    finally:
        accounts.close()
    _show(account, as_json)
    if password is None:
        say(f"note: {account.username} has no password: set one with 'sipelangi-net user passwd'", err=True)


def _check_names(username: str, name: str) -> None:
    """The username and the display name as an account takes them (AccountError naming the option)."""
    from pydantic import TypeAdapter, ValidationError

    from sipelangi_net.accounts.models import DisplayName, Username
    from sipelangi_net.errors import AccountError

    try:
        TypeAdapter(Username).validate_python(username)
    except ValidationError:
        raise AccountError(
            f"USERNAME: {username!r} is not an account name: 1 to 32 of a-z 0-9 . _ -,"
            " starting with a letter or _"
        ) from None
    try:
        TypeAdapter(DisplayName).validate_python(name)
    except ValidationError as exc:
        raise AccountError(
            f"--name: {exc.errors(include_url=False, include_input=False)[0]['msg']}"
        ) from None


def _add(
    accounts: SqliteAccounts,
    username: str,
    name: str,
    role: Any,
    opd: str | None,
    sites: tuple[str, ...],
    password: str | None,
) -> Account:
    from pydantic import ValidationError

    from sipelangi_net.errors import AccountError

    try:
        return accounts.add(username, display_name=name, role=role, opd=opd, sites=sites, password=password)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        if field == "username":
            raise AccountError(
                f"USERNAME: {username!r} is not an account name: 1 to 32 of a-z 0-9 . _ -,"
                " starting with a letter or _"
            ) from None
        raise AccountError(
            f"{'--name' if field == 'display_name' else 'the account'}: {err['msg']}"
        ) from None


@user_app.command("list")
def list_accounts(db: Path | None = DbOpt, store: str | None = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Every account (no password or token is ever shown)."""
    accounts = accounts_db(db, store)
    try:
        found = accounts.list()
    finally:
        accounts.close()
    if as_json:
        say_json([a.model_dump(mode="json") for a in found])
        return
    tbl = table("", ("id", "username", "name", "role", "OPD", "sites", "delegation", ""))
    for account in found:
        add_row(tbl, *_row(account))
    show_table(tbl)


@user_app.command("disable")
def disable(
    username: str = typer.Argument(...),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Disable an account: its password and every token are refused from now on (the record stays)."""
    accounts = accounts_db(db, store)
    try:
        account = accounts.disable(username)
    finally:
        accounts.close()
    _show(account, as_json)


@user_app.command("passwd")
def passwd(
    username: str = typer.Argument(...),
    password_stdin: bool = PasswordStdinOpt,
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
) -> None:
    """Set an account's password (asked twice in a terminal, or one line on stdin)."""
    from sipelangi_net.errors import ConfigError

    password = read_password(from_stdin=password_stdin, confirm=True)
    if password is None:
        raise ConfigError("no password: run in a terminal, or give it on stdin with --password-stdin")
    accounts = accounts_db(db, store)
    try:
        accounts.set_password(username, password)
    finally:
        accounts.close()
    say(f"password of {username} changed")


@user_app.command("token")
def token(
    username: str = typer.Argument(...),
    name: str | None = typer.Option(None, "--name", help="What the token is for (default: cli@this host)."),
    days: int = typer.Option(90, "--days", help="Days until it expires (1 to 365)."),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Issue an API token: printed once on stdout (only its digest is stored); keep it secret."""
    accounts = accounts_db(db, store)
    try:
        issued = accounts.issue_token(username, name=name or f"cli@{socket.gethostname()}"[:200], days=days)
    finally:
        accounts.close()
    info = issued.info
    if as_json:
        say_json({"token": issued.token, **info.model_dump(mode="json")})
    else:
        say(issued.token)
    say(
        f"token {info.id} ({info.name}) for {username}, expires {info.expires_at:%Y-%m-%d %H:%M} UTC;"
        " shown once: save it now (sipelangi-net login URL --token-stdin)",
        err=True,
    )


@user_app.command("tokens")
def tokens(
    username: str = typer.Argument(...),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """An account's tokens: id, name, dates and state (never the tokens themselves)."""
    accounts = accounts_db(db, store)
    try:
        found = accounts.tokens(username)
    finally:
        accounts.close()
    now = dt.datetime.now(dt.UTC)
    if as_json:
        say_json([{**t.model_dump(mode="json"), "state": t.state(now)} for t in found])
        return
    tbl = table("", ("id", "name", "created", "expires", "last used", "state"))
    for t in found:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else ""
        add_row(
            tbl, str(t.id), t.name, f"{t.created_at:%Y-%m-%d}", f"{t.expires_at:%Y-%m-%d}", used, t.state(now)
        )
    show_table(tbl)


@user_app.command("token-revoke")
def token_revoke(
    username: str = typer.Argument(...),
    token_id: int = typer.Argument(..., help="The token's id (see 'user tokens USERNAME')."),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
) -> None:
    """Revoke one of an account's tokens: refused from now on."""
    accounts = accounts_db(db, store)
    try:
        info = accounts.revoke_token(username, token_id)
    finally:
        accounts.close()
    say(f"token {info.id} ({info.name}) of {username} revoked")


@user_app.command("delegate")
def delegate(
    username: str = typer.Argument(...),
    acting_as: str = typer.Option("kepala_dinas", "--as", help="The office acted for: kepala_dinas."),
    kind: str = typer.Option(..., "--kind", help="Plt. (office vacant) or Plh. (holder away)."),
    start: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last day (YYYY-MM-DD)."),
    decree: str = typer.Option(..., "--decree", help="The decree's number (Surat Perintah / SK)."),
    db: Path | None = DbOpt,
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record a delegation: the account acts as the Kepala Dinas (Plt./Plh.) for a period."""
    from pydantic import ValidationError

    from sipelangi_net.accounts.models import Delegation
    from sipelangi_net.errors import AccountError

    try:
        delegation = Delegation(acting_as=acting_as, kind=kind, start=start, end=end, decree=decree)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        option = {
            "acting_as": "--as",
            "kind": "--kind",
            "start": "--from",
            "end": "--to",
            "decree": "--decree",
        }
        where = option.get(str(err["loc"][0]), "the delegation") if err["loc"] else "the delegation"
        raise AccountError(f"{where}: {err['msg']}") from None
    accounts = accounts_db(db, store)
    try:
        account = accounts.add_delegation(username, delegation)
    finally:
        accounts.close()
    _show(account, as_json)


def login_command(
    url: str = typer.Argument(..., help="The SiPelangi server (https://..., or http://127.0.0.1:PORT)."),
    username: str | None = typer.Option(None, "--username", "-u", help="Account name (default: login name)."),
    token_stdin: bool = typer.Option(
        False, "--token-stdin", help="Save a token given on stdin (from 'user token') instead of a password."
    ),
    password_stdin: bool = PasswordStdinOpt,
    name: str | None = typer.Option(None, "--name", help="What the token is for (default: cli@this host)."),
) -> None:
    """Log in to a SiPelangi server: its token is saved (0600) for the ticket commands' --store."""
    from sipelangi_net.accounts import login
    from sipelangi_net.accounts.credentials import save_token
    from sipelangi_net.errors import ConfigError

    if token_stdin:
        got = login.given_token(url, _stdin_line("the token"))
        who = username or ""
    else:
        who = username or getpass.getuser()
        root = login.server_root(url)  # refused before a password is asked
        password = read_password(from_stdin=password_stdin, confirm=False)
        if password is None:
            raise ConfigError("no password: run in a terminal, or give it on stdin with --password-stdin")
        got = login.exchange_password(root, who, password, name=name or f"cli@{socket.gethostname()}"[:200])
    path = save_token(got.api_root, got.token, username=who, expires_at=got.expires_at)
    until = f", expires {got.expires_at}" if got.expires_at else ""
    say(f"logged in to {got.api_root}{f' as {who}' if who else ''}{until}; token saved in {path}")
