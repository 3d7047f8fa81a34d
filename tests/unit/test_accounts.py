"""Accounts: models, Argon2id passwords, API tokens, the SQLite store (round trips, hostile rows),
lock-out data, single-engineer mode, and an existing ticket database gaining the account tables."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError
from ticket_data import request

from sipelangi_net.accounts import passwords, schema, tokens
from sipelangi_net.accounts.local import local_account
from sipelangi_net.accounts.models import Account, AccountRole, Delegation, opd_sites
from sipelangi_net.accounts.store import SqliteAccounts
from sipelangi_net.errors import AccountError, AuthError, ConfigError, LoginThrottled, StoreError
from sipelangi_net.logs import ScrubFilter
from sipelangi_net.tickets.sop import Role
from sipelangi_net.tickets.sqlite import SqliteStore

PASSWORD = "kopi-susu-di-kacang-pedang"
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[SqliteAccounts]:
    store = SqliteAccounts(tmp_path / "tickets.db")
    try:
        yield store
    finally:
        store.close()


def engineer(accounts: SqliteAccounts, username: str = "budi", **kw: object) -> Account:
    return accounts.add(
        username,
        display_name="Budi Santoso, S.Kom.",
        role=AccountRole.TIM_KERJA,
        password=PASSWORD,
        **kw,  # type: ignore[arg-type]
    )


# --- models -----------------------------------------------------------------------------
def test_roles_map_to_the_sops_roles() -> None:
    assert AccountRole.KEPALA_DINAS.sop_role is Role.KEPALA_DINAS
    assert AccountRole.PEMOHON.sop_role is Role.PEMOHON
    assert AccountRole.ADMIN.sop_role is None
    assert {r.sop_role for r in AccountRole} - {None} == set(Role)


def test_a_pemohon_needs_an_opd_and_only_a_pemohon_has_one() -> None:
    base = {"id": 1, "username": "sari", "display_name": "Sari", "created_at": NOW}
    with pytest.raises(ValidationError, match="needs its OPD"):
        Account(role=AccountRole.PEMOHON, **base)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="only a pemohon"):
        Account(role=AccountRole.HELPDESK, opd="Dinkes", sites=("dinkes",), **base)  # type: ignore[arg-type]
    ok = Account(role=AccountRole.PEMOHON, opd="Dinas Kesehatan (Dinkes)", sites=("dinkes",), **base)  # type: ignore[arg-type]
    assert ok.ref().role is AccountRole.PEMOHON


@pytest.mark.parametrize(
    "name", ["Dr. Ir. Hj. Siti Aminah, M.T.", "I Gusti Ngurah Rai", "Nur'aini", "Ahmad bin Abdullah"]
)
def test_names_as_written_are_kept(name: str) -> None:
    account = Account(id=1, username="x", display_name=name, role=AccountRole.HELPDESK, created_at=NOW)
    assert account.display_name == name


@pytest.mark.parametrize("username", ["Budi", "budi santoso", "../etc", "-rf", "b\x1bu", "a" * 33, ""])
def test_unsafe_usernames_are_refused(username: str) -> None:
    with pytest.raises(ValidationError):
        Account(id=1, username=username, display_name="B", role=AccountRole.HELPDESK, created_at=NOW)


@pytest.mark.parametrize("name", ["Budi\nFORGED", "Budi\u202e", "   ", "x" * 121])
def test_unprintable_or_blank_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        Account(id=1, username="b", display_name=name, role=AccountRole.HELPDESK, created_at=NOW)


def test_a_delegation_holds_in_its_period_only() -> None:
    d = Delegation(kind="Plt.", start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30), decree="800/5/2026")
    assert d.valid_on(dt.date(2026, 11, 1)) and d.valid_on(dt.date(2026, 11, 30))
    assert not d.valid_on(dt.date(2026, 12, 1))
    account = Account(
        id=1, username="b", display_name="B", role=AccountRole.KEPALA_BIDANG, delegations=(d,), created_at=NOW
    )
    assert account.acts_as(AccountRole.KEPALA_DINAS, dt.date(2026, 11, 15))
    assert not account.acts_as(AccountRole.KEPALA_DINAS, dt.date(2026, 12, 15))
    assert not account.acts_as(AccountRole.HELPDESK, dt.date(2026, 11, 15))
    disabled = account.model_copy(update={"disabled": True})
    assert not disabled.acts_as(AccountRole.KEPALA_BIDANG, dt.date(2026, 11, 15))
    with pytest.raises(ValidationError, match="before it starts"):
        Delegation(kind="Plh.", start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 1), decree="x")
    with pytest.raises(ValidationError):
        Delegation(kind="Pj.", start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 1), decree="x")  # type: ignore[arg-type]


def test_opd_by_name_or_site_key() -> None:
    sites = {
        "dinkes": "Dinas Kesehatan (Dinkes)",
        "puskesmas": "Dinas Kesehatan (Dinkes)",
        "bappeda": "Bappeda",
    }
    assert opd_sites("dinas kesehatan (dinkes)", sites) == (
        "Dinas Kesehatan (Dinkes)",
        ("dinkes", "puskesmas"),
    )
    assert opd_sites("bappeda", sites) == ("Bappeda", ("bappeda",))
    with pytest.raises(AccountError, match="known: Bappeda; Dinas Kesehatan"):
        opd_sites("Dinas Pariwisata", sites)


# --- passwords --------------------------------------------------------------------------
def test_passwords_are_argon2id_salted_and_verified() -> None:
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second and PASSWORD not in first
    assert passwords.verify_password(first, PASSWORD).ok
    assert not passwords.verify_password(first, PASSWORD + "x").ok
    assert not passwords.verify_password(None, PASSWORD).ok
    assert not passwords.verify_password("not a hash", PASSWORD).ok


def test_password_rules() -> None:
    with pytest.raises(ConfigError, match="at least 12"):
        passwords.check_password("short", username="budi")
    with pytest.raises(ConfigError, match="is the username"):
        passwords.check_password("budisantoso1", username="BudiSantoso1")
    with pytest.raises(ConfigError, match="control"):
        passwords.check_password("twelve chars\x1b[2J", username="budi")
    with pytest.raises(ConfigError, match="too long"):
        passwords.check_password("x" * 2000, username="budi")


def test_an_old_hash_is_rehashed_at_the_next_good_login(accounts: SqliteAccounts) -> None:
    account = engineer(accounts)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    accounts.conn.execute("UPDATE accounts SET password_hash = ? WHERE id = ?", (weak, account.id))
    assert accounts.authenticate("budi", PASSWORD).id == account.id
    stored = accounts.conn.execute("SELECT password_hash FROM accounts").fetchone()[0]
    assert stored != weak and not passwords.HASHER.check_needs_rehash(stored)
    assert accounts.authenticate("budi", PASSWORD).id == account.id


# --- store: accounts ----------------------------------------------------------------------
def test_accounts_round_trip(accounts: SqliteAccounts) -> None:
    budi = engineer(accounts)
    sari = accounts.add(
        "sari",
        display_name="Sari Wulandari, S.E.",
        role=AccountRole.PEMOHON,
        opd="Dinas Kesehatan (Dinkes)",
        sites=("dinkes",),
    )
    assert accounts.get(budi.id) == budi == accounts.by_username("budi")
    assert [a.username for a in accounts.list()] == ["budi", "sari"]
    assert sari.opd == "Dinas Kesehatan (Dinkes)" and sari.sites == ("dinkes",)
    with pytest.raises(AccountError, match="taken"):
        engineer(accounts)
    with pytest.raises(AccountError, match="not found"):
        accounts.by_username("nobody")
    delegated = accounts.add_delegation(
        "budi",
        Delegation(kind="Plh.", start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 5), decree="800/9/2026"),
    )
    assert delegated.delegation_on(dt.date(2026, 12, 3)) is not None
    assert accounts.by_username("budi") == delegated
    with pytest.raises(AccountError, match="pemohon"):
        accounts.add_delegation("sari", delegated.delegations[0])


def test_a_bad_account_writes_nothing(accounts: SqliteAccounts) -> None:
    with pytest.raises(ValidationError):
        accounts.add("x", display_name="X", role=AccountRole.PEMOHON)
    with pytest.raises(ConfigError, match="at least"):
        accounts.add("y", display_name="Y", role=AccountRole.HELPDESK, password="short")
    assert accounts.count() == 0


def test_password_login_and_disabling(accounts: SqliteAccounts) -> None:
    budi = engineer(accounts)
    assert accounts.authenticate("budi", PASSWORD, source="127.0.0.1") == budi
    with pytest.raises(AuthError, match="username or password wrong") as wrong:
        accounts.authenticate("budi", "kopi-susu-salah-sekali")
    with pytest.raises(AuthError, match="username or password wrong") as unknown:
        accounts.authenticate("nobody", PASSWORD)
    assert str(wrong.value).replace("budi", "X") == str(unknown.value).replace("nobody", "X")
    accounts.disable("budi")
    with pytest.raises(AuthError, match="disabled"):
        accounts.authenticate("budi", PASSWORD)
    no_password = accounts.add("dewi", display_name="Dewi", role=AccountRole.HELPDESK)
    assert no_password.id
    with pytest.raises(AuthError):
        accounts.authenticate("dewi", "")


def test_failed_logins_are_counted_and_lock_out(tmp_path: Path) -> None:
    accounts = SqliteAccounts(tmp_path / "t.db", max_failures=3, failure_window=dt.timedelta(minutes=10))
    try:
        engineer(accounts)
        for _ in range(3):
            with pytest.raises(AuthError):
                accounts.authenticate("budi", "salah-salah-salah", now=NOW)
        assert accounts.failures("budi", now=NOW) == 3
        with pytest.raises(LoginThrottled, match="3 failed logins in the last 10 min"):
            accounts.authenticate("budi", PASSWORD, now=NOW + dt.timedelta(minutes=1))
        assert accounts.failures("budi", now=NOW + dt.timedelta(minutes=11)) == 0
        later = NOW + dt.timedelta(minutes=11)
        assert accounts.authenticate("budi", PASSWORD, now=later).username == "budi"
        assert accounts.conn.execute("SELECT COUNT(*) FROM login_failures").fetchone()[0] == 0
        for _ in range(3):  # an unknown name is counted too (guessing names is throttled alike)
            with pytest.raises(AuthError):
                accounts.authenticate("ghost", "salah-salah-salah", now=NOW)
        with pytest.raises(LoginThrottled):
            accounts.authenticate("ghost", "salah-salah-salah", now=NOW)
    finally:
        accounts.close()


# --- store: tokens ------------------------------------------------------------------------
def test_tokens_are_shown_once_and_stored_as_digests(accounts: SqliteAccounts) -> None:
    budi = engineer(accounts)
    issued = accounts.issue_token("budi", name="laptop", now=NOW)
    assert tokens.looks_like_token(issued.token) and issued.token not in repr(issued)
    stored = accounts.conn.execute("SELECT * FROM api_tokens").fetchall()
    assert issued.token not in repr(stored) and tokens.token_digest(issued.token) in repr(stored)
    assert issued.info.expires_at == NOW + dt.timedelta(days=90)
    assert accounts.authenticate_token(issued.token, now=NOW) == budi
    with pytest.raises(AuthError, match="unknown"):
        accounts.authenticate_token(tokens.new_token(), now=NOW)
    with pytest.raises(AuthError, match="not a SiPelangi API token"):
        accounts.authenticate_token("Bearer " + issued.token, now=NOW)


def test_an_expired_token_is_refused(accounts: SqliteAccounts) -> None:
    engineer(accounts)
    issued = accounts.issue_token("budi", name="ci", days=1, now=NOW)
    assert accounts.authenticate_token(issued.token, now=NOW + dt.timedelta(hours=23)).username == "budi"
    with pytest.raises(AuthError, match="expired"):
        accounts.authenticate_token(issued.token, now=NOW + dt.timedelta(days=1))
    with pytest.raises(ConfigError, match="1 to 365"):
        accounts.issue_token("budi", name="ci", days=366)
    with pytest.raises(ConfigError, match="1 to 365"):
        accounts.issue_token("budi", name="ci", days=0)


def test_a_revoked_token_is_refused_and_only_its_own(accounts: SqliteAccounts) -> None:
    engineer(accounts)
    accounts.add("dewi", display_name="Dewi", role=AccountRole.HELPDESK)
    first = accounts.issue_token("budi", name="one", now=NOW)
    second = accounts.issue_token("budi", name="two", now=NOW)
    dewis = accounts.issue_token("dewi", name="desk", now=NOW)
    with pytest.raises(AccountError, match="not a token of 'budi'"):
        accounts.revoke_token("budi", dewis.info.id)
    revoked = accounts.revoke_token("budi", first.info.id)
    assert revoked.revoked_at is not None and revoked.state(NOW) == "revoked"
    assert accounts.revoke_token("budi", first.info.id).revoked_at == revoked.revoked_at
    with pytest.raises(AuthError, match="revoked"):
        accounts.authenticate_token(first.token, now=NOW)
    assert accounts.authenticate_token(second.token, now=NOW).username == "budi"
    assert accounts.authenticate_token(dewis.token, now=NOW).username == "dewi"


def test_a_disabled_accounts_tokens_are_refused(accounts: SqliteAccounts) -> None:
    engineer(accounts)
    issued = accounts.issue_token("budi", name="laptop", now=NOW)
    accounts.disable("budi")
    with pytest.raises(AuthError, match="disabled"):
        accounts.authenticate_token(issued.token, now=NOW)
    with pytest.raises(AccountError, match="disabled"):
        accounts.issue_token("budi", name="again")


def test_last_used_is_written_at_most_once_a_minute(accounts: SqliteAccounts) -> None:
    engineer(accounts)
    issued = accounts.issue_token("budi", name="laptop", now=NOW)

    def used() -> str:
        return str(accounts.conn.execute("SELECT last_used_at FROM api_tokens").fetchone()[0])

    accounts.authenticate_token(issued.token, now=NOW)
    first = used()
    accounts.authenticate_token(issued.token, now=NOW + dt.timedelta(seconds=59))
    assert used() == first
    accounts.authenticate_token(issued.token, now=NOW + dt.timedelta(seconds=61))
    assert used() != first


def test_tokens_are_compared_in_constant_time(
    accounts: SqliteAccounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    engineer(accounts)
    issued = accounts.issue_token("budi", name="laptop", now=NOW)
    calls: list[tuple[str, str]] = []

    def compare_digest(a: str, b: str) -> bool:
        calls.append((a, b))
        return a == b

    monkeypatch.setattr(tokens, "hmac", types.SimpleNamespace(compare_digest=compare_digest))
    accounts.authenticate_token(issued.token, now=NOW)
    assert calls == [(tokens.token_digest(issued.token),) * 2]


# --- store: hostile rows ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("role", "root", "role"),
        ("display_name", "Budi\x1b]8;;http://evil\x1b\\", "display_name"),
        ("created_at", "2026-12-01T08:00:00", "created_at"),
        ("sites", "not json", "Expecting value"),
        ("disabled", 2, "flag"),
        ("opd", "Dinkes", "only a pemohon"),
    ],
)
def test_a_row_that_does_not_parse_names_the_account(
    accounts: SqliteAccounts, column: str, value: object, why: str
) -> None:
    engineer(accounts)
    accounts.conn.execute(f"UPDATE accounts SET {column} = ?", (value,))
    with pytest.raises(StoreError, match=rf"account 'budi' \(id 1\).*unreadable.*{why}") as bad:
        accounts.by_username("budi")
    assert "\x1b" not in str(bad.value)
    with pytest.raises(StoreError, match="account 'budi'"):
        accounts.list()


def test_a_hostile_username_row_is_shown_escaped(accounts: SqliteAccounts) -> None:
    engineer(accounts)
    accounts.conn.execute("UPDATE accounts SET username = ?", ("bu\x1b[2Jdi",))
    with pytest.raises(StoreError, match="unreadable") as bad:
        accounts.list()
    assert "\x1b" not in str(bad.value) and "\\x1b" in str(bad.value)


def test_a_hostile_token_row_is_refused(accounts: SqliteAccounts) -> None:
    engineer(accounts)
    issued = accounts.issue_token("budi", name="laptop", now=NOW)
    accounts.conn.execute("UPDATE api_tokens SET expires_at = 'never'")
    with pytest.raises(StoreError, match=r"token 1 of account id 1.*unreadable"):
        accounts.authenticate_token(issued.token, now=NOW)


def test_a_newer_account_schema_is_refused(tmp_path: Path) -> None:
    made = SqliteAccounts(tmp_path / "t.db")
    assert made.count() == 0
    made.close()
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute("UPDATE schema_components SET version = 99 WHERE name = 'accounts'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="version 99, newer"):
        SqliteAccounts(tmp_path / "t.db").count()


# --- the ticket database ------------------------------------------------------------------
def test_an_existing_ticket_database_gains_the_tables_and_keeps_its_tickets(tmp_path: Path) -> None:
    db = tmp_path / "tickets.db"
    tickets = SqliteStore(db)
    ticket = tickets.create(request(), helpdesk="Rina")
    tickets.close()
    before = sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0]
    accounts = SqliteAccounts(db)
    engineer(accounts)
    accounts.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == before
    assert conn.execute("SELECT version FROM schema_components").fetchall() == [(schema.SCHEMA_VERSION,)]
    conn.close()
    again = SqliteStore(db)
    try:
        assert again.get(ticket.id) == ticket
        assert again.audit().ok
    finally:
        again.close()
    assert SqliteAccounts(db).by_username("budi").username == "budi"


def test_accounts_first_then_tickets(tmp_path: Path) -> None:
    db = tmp_path / "tickets.db"
    accounts = SqliteAccounts(db)
    engineer(accounts)
    accounts.close()
    assert db.stat().st_mode & 0o777 == 0o600
    tickets = SqliteStore(db)
    try:
        assert tickets.create(request(), helpdesk="Rina").id.startswith("SPL-")
    finally:
        tickets.close()


# --- single-engineer mode ---------------------------------------------------------------------
def test_the_machines_user_gets_a_local_account_on_an_empty_store(accounts: SqliteAccounts) -> None:
    first = local_account(accounts, user=("ahmad", "Ahmad Fauzi"))
    assert first.local and first.role is AccountRole.TIM_KERJA and first.display_name == "Ahmad Fauzi"
    assert local_account(accounts, user=("ahmad", "Ahmad Fauzi")) == first
    assert accounts.count() == 1
    with pytest.raises(AuthError, match=r"none for this machine's user 'rudi'.*user add rudi"):
        local_account(accounts, user=("rudi", "Rudi"))
    accounts.disable("ahmad")
    with pytest.raises(AuthError, match="disabled"):
        local_account(accounts, user=("ahmad", "Ahmad Fauzi"))


def test_no_local_account_when_accounts_exist(accounts: SqliteAccounts) -> None:
    engineer(accounts)
    assert local_account(accounts, user=("budi", "Budi")).local is False
    with pytest.raises(AuthError, match="ask an admin"):
        local_account(accounts, user=("ahmad", "Ahmad"))


def test_a_login_name_that_is_no_account_name_is_refused(accounts: SqliteAccounts) -> None:
    with pytest.raises(AuthError, match="not a valid account name"):
        local_account(accounts, user=("Administrator", "Admin"))
    assert accounts.count() == 0


# --- secrets ------------------------------------------------------------------------------
def test_no_password_or_token_in_the_logs(accounts: SqliteAccounts, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="sipelangi_net")
    caplog.handler.addFilter(ScrubFilter())
    engineer(accounts)
    issued = accounts.issue_token("budi", name="laptop")
    accounts.authenticate("budi", PASSWORD, source="10.0.0.5")
    with pytest.raises(AuthError):
        accounts.authenticate("budi", PASSWORD[::-1], source="10.0.0.6")
    accounts.authenticate_token(issued.token)
    accounts.revoke_token("budi", issued.info.id)
    logged = caplog.text
    assert "login of budi from 10.0.0.5" in logged and "login of budi from 10.0.0.6 refused" in logged
    assert "got a new API token, #1 (laptop)" in logged and "#1 of budi revoked" in logged
    for secret in (PASSWORD, PASSWORD[::-1], issued.token, tokens.token_digest(issued.token)):
        assert secret not in logged
