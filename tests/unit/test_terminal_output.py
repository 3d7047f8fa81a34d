"""The terminal shows text, not markup: every value from a ticket, inventory, device, file or user.

Two guards: a static one (no module writes to the terminal except ``cli/output.py``, so a new
command cannot print a value through Rich markup), and a behavioural one (every read command,
run through Typer's CliRunner or called with typed results, with hostile values: markup and
terminal control sequences are shown as written, never acted on, and nothing exits 70).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from analysis_data import NOW, catalogues, day0_facts
from ticket_data import cli_env, only, raw_request, request
from typer.testing import CliRunner

from sipelangi_net.analysis.analyze import Inputs, analyze
from sipelangi_net.bandwidth.gate import summary_lines
from sipelangi_net.bandwidth.models import BwResult
from sipelangi_net.bandwidth.run import BwRun
from sipelangi_net.change.push import DeployReport, DeviceResult
from sipelangi_net.cli import output
from sipelangi_net.cli.analysis import _print_plan
from sipelangi_net.cli.compliance import print_run
from sipelangi_net.cli.deploy import _print_report, print_diff
from sipelangi_net.cli.lab import print_status, print_summaries
from sipelangi_net.cli.main import app
from sipelangi_net.cli.provision import print_summary
from sipelangi_net.compliance.models import ComplianceReport, DeviceCompliance, FeatureResult
from sipelangi_net.errors import TicketError
from sipelangi_net.lab.show import DeviceSummary
from sipelangi_net.lab.status import DeviceStatus, HostStatus, LabStatus
from sipelangi_net.playbook.context import IO_KINDS, Outcome
from sipelangi_net.playbook.progress import JsonLinesReporter, RichReporter
from sipelangi_net.playbook.runner import RunSummary, StepRun
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.sqlite import SqliteStore
from sipelangi_net.validate import unsafe_character

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sipelangi_net"

# Values Rich would read as markup or emoji codes; each must be shown exactly as written.
MARKUP = ("Dinas [/] X", "[link=http://x]y[/link]", "[bold]tebal", ":thumbs_up:")
# Terminal control sequences (ESC colour, OSC 8 hyperlink, a bidi override, C1 CSI).
CONTROL = ("\x1b[31mmerah", "\x1b]8;;http://evil\x1b\\klik\x1b]8;;\x1b\\", "\u202eevil", "\x9b2J")
HOSTILE = " | ".join(MARKUP)
OSC8 = "\x1b]8;"


# --- the static guard: one module writes to the terminal -------------------------------------


def _modules() -> Iterator[Path]:
    scripts = {"bandwidth/speedtest_probe.py", "lab/commit_confirm_script.py"}  # run elsewhere, JSON only
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel != "cli/output.py" and rel not in scripts:
            yield path


def _terminal_writes(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            yield from (f"import {n}" for n in names if n == "rich" or n.startswith("rich."))
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in ("print", "Console"):
                yield f"{f.id}()"
            elif (
                isinstance(f, ast.Attribute)
                and f.attr in ("echo", "secho")
                and ast.unparse(f.value) == "typer"
            ):
                yield f"typer.{f.attr}()"
            elif isinstance(f, ast.Attribute) and ast.unparse(f) in ("sys.stdout.write", "sys.stderr.write"):
                yield f"{ast.unparse(f)}()"


def test_only_the_output_module_writes_to_the_terminal() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{what}"
        for path in _modules()
        for what in _terminal_writes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "print through sipelangi_net.cli.output (say, line, table, say_json) instead"


def test_the_static_guard_sees_markup_printing() -> None:
    bad = "from rich.console import Console\nConsole().print(f'[bold]{x}[/]')\nprint(x)\ntyper.echo(x)\n"
    assert sorted(_terminal_writes(ast.parse(bad))) == [
        "Console()",
        "import rich.console",
        "print()",
        "typer.echo()",
    ]


# --- the output helpers -----------------------------------------------------------------------


def test_say_and_line_show_markup_as_written_and_escape_control_characters(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal: styles and links would be emitted
    for value in (*MARKUP, *CONTROL):
        output.say("x ", value)
        output.line(output.styled("id", "bold"), " ", value)
        tbl = output.table(value, ("a", value))
        output.add_row(tbl, value, output.styled(value, "red"))
        output.show_table(tbl)
        out = capsys.readouterr().out
        assert OSC8 not in out and "\x9b" not in out and "\u202e" not in out
        if value in MARKUP:
            assert f"x {value}\n" in out and f"id\x1b[0m {value}" in out
        else:
            assert value not in out and f"x {output.text(value).plain}\n" in out


def test_json_output_escapes_every_control_character_and_stays_json() -> None:
    value = {"opd": "Dinas é " + "".join(CONTROL), "list": ["\u2028", "\U000e0001", "ok"]}
    text = output.json_text(value)
    assert json.loads(text) == value
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u202e]|[\U000e0000-\U000e007f]", text)
    assert "é" in text  # readable text stays readable


# --- every read command through the CLI -------------------------------------------------------


@pytest.fixture
def hostile_store(tmp_path: Path) -> tuple[Path, str]:
    """A store with a ticket whose every free-text field holds markup, scheduled (steps 1-6)."""
    db = tmp_path / "tickets.db"
    st = SqliteStore(db)
    try:
        req = request(
            opd=HOSTILE[:150],
            notes=HOSTILE,
            pic={"name": "[bold]Budi[/]", "phone": "+62 812 7100 1234", "email": "budi@dinkes.go.id"},
            letter={"number": "[link=http://x]005[/link]", "date": "2026-11-20"},
        )
        ticket = st.create(req, helpdesk="[red]helpdesk[/]")
        st.apply(ticket.id, Move(step=3, actor="[/]kadis", outcome="approve", note=HOSTILE))
        cat = catalogues()
        plan = analyze(Inputs(ticket.id, req, cat, day0_facts(cat), (), NOW))
        st.apply(ticket.id, Move(step=4, actor=":thumbs_up:", outputs={"plan": plan.model_dump(mode="json")}))
    finally:
        st.close()
    return db, ticket.id


def _invoke(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(app, list(args), env={"SIPELANGI_ACTOR": "[bold]tester", **(env or {})})
    assert result.exception is None and result.exit_code == 0, (args, result.output, result.exception)
    out = result.output
    assert OSC8 not in out and "Traceback" not in out
    return out


READ_COMMANDS = (
    ("ticket", "show", "{tid}"),
    ("ticket", "list"),
    ("ticket", "sla"),
    ("ticket", "verify", "{tid}"),
    ("ticket", "show", "{tid}", "--json"),
    ("ticket", "list", "--json"),
)


@pytest.mark.parametrize("force_color", ["", "1"])
def test_read_commands_show_stored_markup_as_text(hostile_store: tuple[Path, str], force_color: str) -> None:
    db, tid = hostile_store
    for command in READ_COMMANDS:
        out = _invoke(
            *(a.format(tid=tid) for a in command), "--db", str(db), env={"FORCE_COLOR": force_color}
        )
        if command[1] in ("show", "list") and "--json" not in command:
            assert HOSTILE[:40] in out.replace("\n", "")
        if command[1] == "show" and "--json" not in command:
            assert "[link=http://x]005[/link]" in out and "[bold]Budi[/]" in out


def test_steps_with_markup_are_recorded_once_and_shown(hostile_store: tuple[Path, str]) -> None:
    db, tid = hostile_store
    inventory = str(ROOT / "inventory")
    prepared = _invoke("prepare", tid, "--db", str(db), "-i", inventory)
    assert prepared.startswith(f"{tid}: proposed installation slot")
    scheduled = _invoke("schedule", tid, "--db", str(db), "-i", inventory)
    assert scheduled.startswith(f"{tid}: installation on")
    st = SqliteStore(db)
    try:
        ticket = st.get(tid)
        assert [e.step for e in ticket.events] == [1, 2, 3, 4, 5, 6]  # each step once, no exit 70 and retry
        assert ticket.events[-1].actor == "[bold]tester"
        [mail] = only(st.outbox(ticket_id=tid))
        assert HOSTILE in mail.subject and f"untuk {HOSTILE[:150]} (surat nomor" in mail.body
    finally:
        st.close()


def test_new_ticket_with_markup_exits_0_once(tmp_path: Path, inv_dir: Path) -> None:
    db = tmp_path / "tickets.db"
    request_file = tmp_path / "permohonan.json"
    request_file.write_text(json.dumps(raw_request(opd="Dinas [/] X")))
    out = _invoke("ticket", "new", "--file", str(request_file), "--db", str(db), "-i", str(inv_dir))
    assert "Dinas [/] X" in out
    listed = _invoke("ticket", "list", "--db", str(db))
    assert listed.count("Dinas [/] X") == 1


# --- printers of results that come from devices, runs and the lab ------------------------------


def _assert_text(out: str, value: str) -> None:
    """``value`` is in ``out`` as written (markup) or escaped (controls); no link, no raw control."""
    assert OSC8 not in out
    if unsafe_character(value):
        assert value not in out and output.text(value).plain in out
    else:
        assert value in out


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "400")


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("value", [*MARKUP, *CONTROL])
def test_device_and_run_results_are_shown_as_text(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    device = DeviceResult(device=value, platform="frr", commands=(f"description {value}",), error=value)
    report = DeployReport(ticket_id="SPL-2026-00001", ok=False, changed=True, error=value, devices=[device])
    print_diff(report)
    _print_report(report, None)
    _assert_text(capsys.readouterr().out, f"description {value}")

    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    feature = FeatureResult(name=value, compliant=False, missing=(value,), remediation=(value,))
    checked = DeviceCompliance(device=value, platform="frr", status="drift", features=(feature,), error=value)
    print_run(ComplianceReport(at, at, (checked,)), {"html": value}, None, None, as_json=False, quiet=False)
    _assert_text(capsys.readouterr().out, value)

    result = BwResult(
        ticket_id="SPL-2026-00001", verdict="fail", reason=value, target_down_mbps=10, target_up_mbps=5,
        tolerance=0.06, client=value, server=value, started_at=at, duration_s=1, errors=(value,),
    )  # fmt: skip
    output.say_lines(summary_lines(BwRun(result)))
    _assert_text(capsys.readouterr().out, value)

    lab = LabStatus("stale", (value,), (DeviceStatus(value, "frr", value, 22, False, value, value),),
                    (HostStatus(value, False),))  # fmt: skip
    print_status(lab)
    print_summaries(
        [
            DeviceSummary(name=value, platform="frr", ok=False, error=value),
            DeviceSummary(name=value, platform="frr", ok=True, identity=value, routes=(value,)),
        ]
    )
    _assert_text(capsys.readouterr().out, value)

    steps = [StepRun(name=value, action="analyze", state="failed", detail=value, seconds=1.0)]
    print_summary(
        RunSummary(
            playbook=value,
            ticket_id=value,
            state="failed",
            steps=steps,
            documents={value: value},
            timings=dict.fromkeys(IO_KINDS, 0.0),
            error=TicketError(value),
        )
    )
    reporter = RichReporter()
    reporter.step_started(value)
    reporter.step_finished(value, Outcome("failed", value), 1.0)
    reporter.device(value, value, value)
    JsonLinesReporter().step_finished(value, Outcome("failed", value), 1.0)
    captured = capsys.readouterr()
    _assert_text(captured.out + captured.err, value)


def test_control_characters_edited_into_the_store_never_reach_the_terminal(
    hostile_store: tuple[Path, str],
) -> None:
    """A store edited behind the program's back (or an old one): its values are shown escaped."""
    db, tid = hostile_store
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DROP TRIGGER events_append_only_update")
        conn.execute("UPDATE events SET actor = ?, note = ? WHERE seq = 2", (CONTROL[1], CONTROL[0]))
    conn.close()
    cli = str(Path(sys.executable).with_name("sipelangi-net"))
    for args in (["ticket", "show", tid], ["ticket", "show", tid, "--json"], ["ticket", "verify", tid]):
        proc = subprocess.run(
            [cli, *args, "--db", str(db)], capture_output=True, text=True, timeout=60, check=False,
            env=cli_env() | {"HOME": str(db.parent), "FORCE_COLOR": "1", "COLUMNS": "300"},
        )  # fmt: skip
        assert proc.returncode != 70, proc.stderr
        assert OSC8 not in proc.stdout + proc.stderr and "\x1b[31mmerah" not in proc.stdout + proc.stderr
        if args[1] == "show" and proc.returncode == 0:
            assert ("\\x1b]8;;http://evil" in proc.stdout) or ("\\u001b]8;;http://evil" in proc.stdout)


@pytest.mark.usefixtures("terminal")
def test_analysis_plan_is_shown_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    cat = catalogues()
    req = request(opd=HOSTILE[:150])
    plan = analyze(Inputs("SPL-2026-00001", req, cat, day0_facts(cat), (), NOW))
    _print_plan(plan)
    out = capsys.readouterr().out
    assert OSC8 not in out and f"SPL-2026-00001\x1b[0m {HOSTILE[:150]} (dinkes), 40 users" in out


def test_a_refused_change_set_says_why_not_no_changes(capsys: pytest.CaptureFixture[str]) -> None:
    """A deploy refused before anything was sent (a device changed since the diff) has nothing
    'changed', yet it failed: the text says why, not "no changes"."""
    why = "dist-gerunggang: its running config changed since the change set was made; nothing was pushed"
    devices = [DeviceResult(device="dist-gerunggang", platform="frr", commands=("ip route 10.20.0.0/25 x",))]
    _print_report(DeployReport(ticket_id="SPL-2026-00001", ok=False, error=why, devices=devices), None)
    out = capsys.readouterr().out
    assert why in out and "no changes" not in out
