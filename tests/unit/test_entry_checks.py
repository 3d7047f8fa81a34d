"""Control characters are refused at every entry (arguments, SIPELANGI_* variables, the actor), with
the same validator as request fields; a failure after a store write names what was stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ticket_data import cli_env, raw_request
from typer.testing import CliRunner

from sipelangi_net.cli import ticket as ticket_cli
from sipelangi_net.cli.main import app, refuse_unsafe_input
from sipelangi_net.errors import ConfigError
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
ESC_LINK = "\x1b]8;;http://evil\x1b\\klik\x1b]8;;\x1b\\"


@pytest.mark.parametrize(
    ("argv", "env", "named"),
    [
        (["ticket", "new", "--opd", "Dinas\nX"], {}, "argument 4 (after --opd)"),
        (["ticket", "new", "--helpdesk=a\x1b[31m"], {}, "--helpdesk"),
        (["ticket", "approve", "SPL-2026-00001", "--note", "a\u202eb"], {}, "argument 5 (after --note)"),
        (["ticket", "show", "--", "SPL\x00"], {}, "argument 4 (after --)"),
        (["ticket", "list"], {"SIPELANGI_ACTOR": ESC_LINK}, "environment variable SIPELANGI_ACTOR"),
        (
            ["ticket", "list"],
            {"SIPELANGI_SMTP_FROM": "a@b.c\r\nBcc: x@y"},
            "environment variable SIPELANGI_SMTP_FROM",
        ),
        (["-v", "lab", "exec", "pc\n", "--", "sh"], {}, "argument 4"),
    ],
)
def test_unsafe_arguments_and_variables_are_refused_by_name(
    argv: list[str], env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match="forbidden character") as caught:
        refuse_unsafe_input(argv, env)
    assert str(caught.value).startswith(f"{named}: contains a forbidden character")


def test_the_command_lab_exec_runs_is_passed_through() -> None:
    refuse_unsafe_input(["lab", "exec", "pc-dinkes", "--", "sh", "-c", "echo a\necho b"], {"OTHER": "\x1b"})


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env()
    e.update(SIPELANGI_DB=str(tmp_path / "tickets.db"), SIPELANGI_ACTOR="tester", HOME=str(tmp_path))
    return e


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def _new(
    env: dict[str, str], tmp_path: Path, *extra: str, **changes: object
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "permohonan.json"
    path.write_text(json.dumps(raw_request(**changes)))
    return _cli(env, "ticket", "new", "--file", str(path), *extra)


def test_office_name_with_markup_is_stored_once_and_shown(env: dict[str, str], tmp_path: Path) -> None:
    first = _new(env, tmp_path, opd="Dinas [/] X")
    assert first.returncode == 0, first.stderr
    assert "Dinas [/] X" in first.stdout
    shown = _cli(env, "ticket", "show", "SPL-2026-00001")
    assert shown.returncode == 0 and "Dinas [/] X" in shown.stdout
    assert _cli(env, "ticket", "list").stdout.count("Dinas [/] X") == 1


def test_control_characters_in_helpdesk_and_actor_store_nothing(env: dict[str, str], tmp_path: Path) -> None:
    refused = _new(env, tmp_path, "--helpdesk", "Rina\x1b[2J")
    assert refused.returncode == 2 and "--helpdesk" in refused.stderr and "\x1b" not in refused.stderr
    assert _cli(env, "ticket", "list").stdout == ""
    assert _new(env, tmp_path).returncode == 0
    hostile = env | {"SIPELANGI_ACTOR": ESC_LINK}
    refused = _cli(hostile, "ticket", "approve", "SPL-2026-00001")
    assert refused.returncode == 2 and "SIPELANGI_ACTOR" in refused.stderr and "\x1b" not in refused.stderr
    assert "forwarded" in _cli(env, "ticket", "list").stdout


def test_actor_is_checked_even_without_the_entry_check(tmp_path: Path) -> None:
    """``_actor`` refuses on its own (a caller of the commands that bypasses ``main``)."""
    db = tmp_path / "tickets.db"
    request_file = tmp_path / "permohonan.json"
    request_file.write_text(json.dumps(raw_request()))
    args = ["ticket", "new", "--file", str(request_file), "--db", str(db)]
    result = CliRunner().invoke(app, [*args, "--helpdesk", "Rina\u2028Bcc"])
    assert isinstance(result.exception, ConfigError) and "--helpdesk" in str(result.exception)
    result = CliRunner().invoke(app, args, env={"SIPELANGI_ACTOR": "a\x1b[31m"})
    assert isinstance(result.exception, ConfigError) and "SIPELANGI_ACTOR" in str(result.exception)
    st = SqliteStore(db)
    try:
        assert st.tickets() == []
    finally:
        st.close()


def test_a_failure_after_a_step_is_stored_names_the_step(env: dict[str, str], tmp_path: Path) -> None:
    assert _new(env, tmp_path).returncode == 0
    broken_mail = env | {"SIPELANGI_SMTP_HOST": "127.0.0.1", "SIPELANGI_SMTP_PORT": "not-a-port"}
    proc = _cli(broken_mail, "ticket", "approve", "SPL-2026-00001")
    assert proc.returncode == 2 and "SIPELANGI_SMTP_PORT" in proc.stderr
    assert "note: step 3 of ticket SPL-2026-00001 is stored" in proc.stderr
    shown = json.loads(_cli(env, "ticket", "show", "SPL-2026-00001", "--json").stdout)
    assert [e["step"] for e in shown["events"]] == [1, 2, 3]


def test_a_failure_after_a_ticket_is_created_names_the_ticket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ticket: object, as_json: bool) -> None:
        raise OSError("stdout closed")

    monkeypatch.setattr(ticket_cli, "_print_ticket", broken)
    request_file = tmp_path / "permohonan.json"
    request_file.write_text(json.dumps(raw_request()))
    db = tmp_path / "tickets.db"
    result = CliRunner().invoke(app, ["ticket", "new", "--file", str(request_file), "--db", str(db)])
    assert isinstance(result.exception, OSError)
    assert (
        "note: ticket SPL-2026-00001 is stored (see 'sipelangi-net ticket show SPL-2026-00001')"
        in result.stderr
    )
