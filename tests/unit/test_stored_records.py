"""No stored value reaches a device unchecked; one malformed ticket never stops the others.

A real SQLite store in tmp_path; malformed records are inserted with sqlite3 directly, with a
recomputed hash chain (the way an attacker with write access to the file would), bypassing
the workflow. The CLI runs as the real console script.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_documents_data import TIM, bw_json, plan_json
from ticket_data import cli_env, request, valid

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.analysis.stored import holdings, plan_of
from sipelangi_net.change.render import cli_text, render, render_plan
from sipelangi_net.compliance.intended import intended_configs, provisioned
from sipelangi_net.documents.records import Signer
from sipelangi_net.documents.service import write_intranet_report
from sipelangi_net.errors import ConfigError, MalformedTicketError, OutputsError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.paths import inventory_dir
from sipelangi_net.tickets.chain import event_hash, verify
from sipelangi_net.tickets.models import Move
from sipelangi_net.tickets.outputs import Skipped, check_outputs
from sipelangi_net.tickets.sop import STEP_BY_NUMBER
from sipelangi_net.tickets.sqlite import SqliteStore

CLI = str(Path(sys.executable).with_name("sipelangi-net"))
INJECTED = "lo\nip route 0.0.0.0/0 203.0.113.66\nexit\ninterface eth1"
ROUTE = "203.0.113.66"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tickets.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(db, webhook_url="")
    yield s
    s.close()


def approved(store: SqliteStore) -> str:
    ticket = store.create(request(), helpdesk="Helpdesk")
    store.apply(ticket.id, Move(step=3, actor="Kadis", outcome="approve"))
    return ticket.id


def walk(store: SqliteStore, ticket_id: str, last: int) -> None:
    """Steps 4..``last`` as their commands record them (through the workflow)."""
    for step in range(4, last + 1):
        store.apply(ticket_id, valid(Move(step=step, actor="Andi"), ticket_id))


def insert_event(db: Path, ticket_id: str, step: int, outputs: Any, *, outcome: str = "done") -> None:
    """Append an event with sqlite3, bypassing the workflow, with a correctly recomputed chain."""
    conn = sqlite3.connect(db)
    try:
        seq, prev, last_end = conn.execute(
            "SELECT seq, hash, ended_at FROM events WHERE ticket_id = ? ORDER BY seq DESC LIMIT 1",
            (ticket_id,),
        ).fetchone()
        started = dt.datetime.fromisoformat(last_end)
        ended = started + dt.timedelta(minutes=1)
        fields = {
            "ticket_id": ticket_id,
            "seq": seq + 1,
            "step": step,
            "outcome": outcome,
            "actor": "Penyusup",
            "role": STEP_BY_NUMBER[step].role.value,
            "started_at": started,
            "ended_at": ended,
            "note": "",
            "outputs": outputs,
        }
        digest = event_hash(prev_hash=prev, **fields)
        conn.execute(
            "INSERT INTO events (ticket_id, seq, step, outcome, actor, role, started_at, ended_at, note,"
            " outputs, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                seq + 1,
                step,
                outcome,
                "Penyusup",
                fields["role"],
                started.isoformat(),
                ended.isoformat(),
                "",
                json.dumps(outputs, sort_keys=True),
                prev,
                digest,
            ),
        )
        conn.execute("UPDATE tickets SET status = ? WHERE id = ?", (STEP_BY_NUMBER[step].status, ticket_id))
        conn.commit()
    finally:
        conn.close()


def injected_plan(ticket_id: str) -> dict[str, Any]:
    plan = plan_json(ticket_id)
    assert plan["ports"][0]["role"] == "gateway"
    plan["ports"][0]["port"] = INJECTED
    return plan


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env()
    env.update(SIPELANGI_DB=str(db), SIPELANGI_ACTOR="tester", HOME=str(db.parent))
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


# --- item 2: the attack of the issue --------------------------------------------------------------
def test_the_injected_port_is_refused_when_appended(store: SqliteStore) -> None:
    tid = approved(store)
    with pytest.raises(OutputsError) as info:
        store.apply(tid, Move(step=4, actor="Andi", outputs={"plan": injected_plan(tid)}))
    message = str(info.value)
    assert message.startswith(f"ticket {tid}: step 4 (needs analysis) done: outputs.plan.ports.0.port:")
    assert [e.step for e in store.get(tid).events] == [1, 2, 3]


def test_an_injected_plan_already_stored_is_refused_by_render_and_diff(
    store: SqliteStore, db: Path, tmp_path: Path
) -> None:
    tid = approved(store)
    insert_event(db, tid, 4, {"plan": injected_plan(tid)})
    ticket = store.get(tid)
    assert verify(ticket) == []  # the chain was recomputed: only the schema can tell
    with pytest.raises(MalformedTicketError, match=rf"ticket {tid}: event 4 .*outputs\.plan\.ports\.0\.port"):
        plan_of(ticket)
    out = tmp_path / "intended"
    for command in (["render", tid, "--out", str(out)], ["diff", tid]):
        proc = cli(db, *command)
        assert proc.returncode == 6, proc.stderr
        assert f"ticket {tid}: event 4" in proc.stderr and "outputs.plan.ports.0.port" in proc.stderr
        assert ROUTE not in proc.stdout
        assert "Traceback" not in proc.stderr
    assert not out.exists() or not any(ROUTE in p.read_text() for p in out.iterdir())


def test_render_checks_every_string_of_its_context_naming_ticket_and_field() -> None:
    """Even a plan that skipped validation (model_construct) cannot put a line into a config."""
    inventory = load_inventory(inventory_dir())
    good = Plan.model_validate(plan_json("SPL-2026-00009"))
    bad_port = good.ports[0].model_construct(**(good.ports[0].model_dump() | {"port": INJECTED}))
    plan = good.model_construct(**(dict(good) | {"ports": (bad_port, *good.ports[1:])}))
    with pytest.raises(ConfigError, match=r"ticket SPL-2026-00009: plan\.ports\[0\]\.port 'lo\\\\nip route"):
        render_plan(plan, inventory)
    rendered = render_plan(good, inventory)
    assert rendered and not any(ROUTE in i.text for i in rendered.values())


def test_every_printed_template_value_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("interface {{ port }}\n")
    assert render("t.j2", root=tmp_path, port="eth1") == "interface eth1\n"
    for bad in ("eth1\nip route 0.0.0.0/0 203.0.113.66", "eth1\r", "eth1\x1b[2J", "eth1\u2028x"):
        with pytest.raises(ConfigError, match="refused, never sent"):
            render("t.j2", root=tmp_path, port=bad)


@pytest.mark.parametrize("text", ["Dinkes\n", "Dinkes\nip route 0.0.0.0/0 203.0.113.66", "a\rb", "x" * 81])
def test_the_cli_filter_refuses_a_trailing_newline_and_any_line_break(text: str) -> None:
    with pytest.raises(ConfigError, match="cannot be sent to a device CLI"):
        cli_text(text)
    assert cli_text("SPL-2026-00001 Dinas Kesehatan (Dinkes)") == "SPL-2026-00001 Dinas Kesehatan (Dinkes)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p["ports"][0].update(device="dist-mars"),
            r"plan\.ports\[0\]\.device 'dist-mars' is not in",
        ),
        (
            lambda p: p["ports"][0].update(port="eth9"),
            r"plan\.ports\[0\]: gateway port .* is not site dinkes's",
        ),
        (
            lambda p: p["ports"][1].update(port="eth7"),
            r"plan\.ports\[1\]: uplink port .* is not site dinkes's",
        ),
        (lambda p: p["routes"][0].update(device="core-x"), r"plan\.routes\[0\]\.device 'core-x' is not in"),
        (lambda p: p.update(site="mars"), r"plan\.site 'mars' is not in the inventory"),
    ],
)
def test_the_plans_devices_and_ports_must_be_the_inventorys(change: Any, message: str) -> None:
    raw = plan_json("SPL-2026-00009")
    change(raw)
    with pytest.raises(ConfigError, match=rf"ticket SPL-2026-00009: {message}"):
        render_plan(Plan.model_validate(raw), load_inventory(inventory_dir()))


def test_an_access_port_cannot_be_a_port_the_inventory_gives_a_role() -> None:
    inventory = load_inventory(inventory_dir())
    raw = plan_json("SPL-2026-00009")
    site = inventory.sites["dinkes"]
    access = next(i for i, p in enumerate(raw["ports"]) if p["role"] == "access")
    raw["ports"][access]["port"] = site.access_switch.uplink
    with pytest.raises(ConfigError, match=rf"plan\.ports\[{access}\]\.port .* is site dinkes's uplink"):
        render_plan(Plan.model_validate(raw), inventory)


@pytest.mark.parametrize(
    ("step", "outputs", "field"),
    [
        (
            4,
            {"plan": {"ticket_id": "x"}},
            r"outputs.plan.ticket_id: String should match pattern .* \(and 17 more",
        ),
        (4, {"plan": None}, "a done step needs outputs.plan"),
        (4, {"n": 1}, "outputs.n: Extra inputs are not permitted"),
        (5, {"start": "besok", "end": "lusa"}, "outputs.start: Input should be a valid datetime"),
        (5, {"start": "2026-12-01T09:00:00+07:00"}, "outputs.start and outputs.end go together"),
        (5, {"schedule": "Senin\n09.00"}, "outputs.schedule: Value error, contains a forbidden character"),
    ],
)
def test_every_steps_outputs_are_checked_against_its_schema(
    store: SqliteStore, step: int, outputs: dict[str, Any], field: str
) -> None:
    tid = approved(store)
    walk(store, tid, step - 1)
    with pytest.raises(OutputsError, match=rf"ticket {tid}: step {step} .*: {field}"):
        store.apply(tid, Move(step=step, actor="Andi", outputs=outputs))


def test_a_plan_for_another_ticket_is_refused(store: SqliteStore) -> None:
    tid = approved(store)
    with pytest.raises(OutputsError, match=r"outputs\.plan\.ticket_id is 'SPL-2026-99999', not this ticket"):
        store.apply(tid, Move(step=4, actor="Andi", outputs={"plan": plan_json("SPL-2026-99999")}))


# --- item 3: one bad ticket never stops the others ------------------------------------------------
def test_allocations_skip_and_name_a_ticket_whose_step_4_holds_no_plan(store: SqliteStore, db: Path) -> None:
    bad = approved(store)
    insert_event(db, bad, 4, {})  # what `ticket record --step 4` stored before
    good = approved(store)
    walk(store, good, 4)
    held = holdings(store.tickets())
    assert [a.ticket_id for a in held.allocations] == [good]
    (skipped,) = held.skipped
    assert skipped.ticket_id == bad and "a done step needs outputs.plan" in skipped.reason


def test_prepare_of_another_ticket_reports_the_malformed_one_and_work_on_it_fails(
    store: SqliteStore, db: Path
) -> None:
    bad = approved(store)
    insert_event(db, bad, 4, {"plan": injected_plan(bad)})
    good = approved(store)
    walk(store, good, 4)
    proc = cli(db, "prepare", good, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["step"] == 5 and [s["ticket"] for s in out["skipped"]] == [bad]
    assert f"warning: skipped ticket {bad}: ticket {bad}: event 4" in proc.stderr
    itself = cli(db, "prepare", bad)
    assert itself.returncode == 6 and f"ticket {bad}: event 4" in itself.stderr, itself.stderr


def test_compliance_skips_an_installed_ticket_with_a_malformed_plan(store: SqliteStore, db: Path) -> None:
    bad = approved(store)
    insert_event(db, bad, 4, {"plan": injected_plan(bad)})
    for step in (5, 6):
        insert_event(db, bad, step, {})
    insert_event(db, bad, 7, {"deploy": {"ticket_id": bad, "devices": []}})
    good = approved(store)
    walk(store, good, 7)
    skipped: list[Skipped] = []
    installed = provisioned(store.tickets(), skipped=skipped)
    assert [p.ticket_id for p in installed] == [good]
    assert [s.ticket_id for s in skipped] == [bad]
    inventory = load_inventory(inventory_dir())
    intended = intended_configs(inventory, installed, skipped=skipped)
    gateway = installed[0].plan.ports[0]
    assert f"interface {gateway.port}" in intended[gateway.device].text
    assert not any(ROUTE in i.text for i in intended.values())


def test_compliance_skips_a_ticket_whose_plan_no_longer_fits_the_inventory() -> None:
    raw = plan_json("SPL-2026-00009")
    raw["ports"][0]["port"] = "eth9"  # the site's distribution port moved since
    from sipelangi_net.compliance.intended import Provisioned

    skipped: list[Skipped] = []
    inventory = load_inventory(inventory_dir())
    intended_configs(inventory, [Provisioned("SPL-2026-00009", Plan.model_validate(raw))], skipped=skipped)
    assert [s.ticket_id for s in skipped] == ["SPL-2026-00009"]


def test_the_monthly_report_skips_a_malformed_ticket(store: SqliteStore, db: Path, tmp_path: Path) -> None:
    bad = approved(store)
    walk(store, bad, 7)
    insert_event(db, bad, 8, {"bwtest": {**bw_json(bad), "download": "cepat"}})
    good = approved(store)
    walk(store, good, 8)
    now = dt.datetime.now(dt.UTC)
    skipped: list[Skipped] = []
    files = write_intranet_report(
        store, year=now.year, month=now.month, prepared_by=Signer(**TIM), out=tmp_path, skipped=skipped
    )
    assert files.pdf.path.exists()
    assert [s.ticket_id for s in skipped] == [bad] and "outputs.bwtest.download" in skipped[0].reason


@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("outputs", "[1, 2]", "outputs: Input should be a valid dictionary"),
        ("outputs", "{not json", "Expecting property name"),
        ("step", "99", "step: Value error, SOP steps are numbered 1 to 12"),
        ("outcome", "'bogus'", "outcome: Input should be"),
        ("ended_at", "'besok'", "Invalid isoformat string"),
    ],
)
def test_an_unreadable_row_is_skipped_by_list_and_sla_and_named_by_show(
    store: SqliteStore, db: Path, column: str, value: str, why: str
) -> None:
    bad = approved(store)
    good = approved(store)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_append_only_update")
    if column == "outputs":
        conn.execute("UPDATE events SET outputs = ? WHERE ticket_id = ? AND seq = 3", (value, bad))
    else:
        conn.execute(f"UPDATE events SET {column} = {value} WHERE ticket_id = ? AND seq = 3", (bad,))
    conn.commit()
    conn.close()
    assert [t.id for t in store.tickets()] == [good]
    assert store.skipped[0].ticket_id == bad and why in store.skipped[0].reason
    listed = cli(db, "ticket", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [t["id"] for t in json.loads(listed.stdout)] == [good]
    assert f"warning: skipped ticket {bad}" in listed.stderr
    sla = cli(db, "ticket", "sla", "--json")
    assert sla.returncode == 0 and f"warning: skipped ticket {bad}" in sla.stderr, sla.stderr
    shown = cli(db, "ticket", "show", bad)
    assert shown.returncode == 6, shown.stderr
    assert f"error: ticket {bad}: the stored record in {db} is unreadable" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_raw_tool_outputs_nested_too_deep_are_refused(store: SqliteStore) -> None:
    tid = approved(store)
    walk(store, tid, 7)
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(900):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(OutputsError, match=r"step 8 .*: outputs\.raw: Value error, nested deeper than 32"):
        store.apply(tid, Move(step=8, actor="Andi", outputs={"bwtest": bw_json(tid), "raw": deep}))
    with pytest.raises(OutputsError, match=r"outputs\.raw: Value error, holds NaN or Infinity"):
        store.apply(
            tid, Move(step=8, actor="Andi", outputs={"bwtest": bw_json(tid), "raw": {"a": [float("inf")]}})
        )
    assert store.apply(tid, Move(step=8, actor="Andi", outputs={"bwtest": bw_json(tid)})).status == "tested"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["plan", "start", "end", "schedule", "deploy", "bwtest", "raw", "handover", "report", "x"]
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    step=st.integers(min_value=1, max_value=12),
    outcome=st.sampled_from(["done", "failed", "approve", "defer"]),
    outputs=st.dictionaries(KEYS, JSON, max_size=4),
)
def test_any_outputs_are_checked_or_refused_by_name_never_crash(
    step: int, outcome: str, outputs: dict[str, Any]
) -> None:
    try:
        stored = check_outputs("SPL-2026-00001", step, outcome, outputs)
    except OutputsError as exc:
        assert str(exc).startswith(f"ticket SPL-2026-00001: step {step} (")
        return
    assert check_outputs("SPL-2026-00001", step, outcome, stored) == stored  # read back: the same


@settings(max_examples=50, deadline=None, database=None)
@given(
    field=st.sampled_from(["port", "description", "device"]), bad=st.sampled_from("\n\r\x00\x1b\x85\u2028")
)
def test_a_control_character_in_any_port_field_of_a_plan_is_refused(field: str, bad: str) -> None:
    raw = plan_json("SPL-2026-00001")
    raw["ports"][0][field] = f"eth1{bad}ip route 0.0.0.0/0 {ROUTE}"
    with pytest.raises(OutputsError, match=rf"outputs\.plan\.ports\.0\.{field}"):
        check_outputs("SPL-2026-00001", 4, "done", {"plan": raw})


def test_a_bandwidth_figure_that_is_not_a_number_is_refused(store: SqliteStore) -> None:
    tid = approved(store)
    walk(store, tid, 7)
    bw = bw_json(tid)
    bw["iperf"]["download_mbps"] = float("nan")
    with pytest.raises(OutputsError, match=r"step 8 .*: outputs: holds NaN or Infinity"):
        store.apply(tid, Move(step=8, actor="Andi", outputs={"bwtest": bw}))
