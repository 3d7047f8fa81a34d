"""The SOP's messages to the officials and the deferral to the PIC: queued with their step, to the
right person, delivered through a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_notify import MOVES, StartSmtp, email, notifications, start_smtp  # noqa: F401 - fixture
from ticket_data import request, valid

from sipelangi_net import logs
from sipelangi_net.errors import ConfigError
from sipelangi_net.tickets.models import Move, Ticket
from sipelangi_net.tickets.notify import deliver_due
from sipelangi_net.tickets.officials import Officials, load_officials
from sipelangi_net.tickets.sqlite import SqliteStore

PIC = "budi@dinkes.pangkalpinangkota.go.id"
KADIS = "kadis@diskominfo.pangkalpinangkota.go.id"
KABID = "kabid.egov@diskominfo.pangkalpinangkota.go.id"
NOTE = "Anggaran belum tersedia; ajukan kembali pada Januari 2027"
OFFICIALS = f"""\
kepala_dinas:
  name: Drs. H. Akhmad Subandi, M.Si.
  email: {KADIS}
kepala_bidang:
  email: {KABID}
"""


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "_known", set())
    monkeypatch.delenv("SIPELANGI_WEBHOOK_URL", raising=False)


@pytest.fixture
def officials(tmp_path: Path) -> Path:
    path = tmp_path / "officials.yaml"
    path.write_text(OFFICIALS, encoding="utf-8")
    return path


def open_store(path: Path, officials: Officials | None = None) -> SqliteStore:
    return SqliteStore(path, webhook_url="", officials=officials)


def drive(store: SqliteStore, tid: str, *steps: int) -> Ticket:
    ticket = store.get(tid)
    for step in steps:
        ticket = store.apply(tid, valid(MOVES[step], tid))
    return ticket


def test_officials_file_is_read_and_a_bad_one_is_a_config_error(tmp_path: Path, officials: Path) -> None:
    found = load_officials(officials)
    assert (str(found.kepala_dinas.email), str(found.kepala_bidang.email)) == (KADIS, KABID)
    assert load_officials(tmp_path / "absent.yaml") == Officials(source=str(tmp_path / "absent.yaml"))
    for text, match in (
        ("kepala_dinas: {email: 'kadis@x.id\\r\\nBcc: evil@x.id'}", "kepala_dinas.email"),
        ("kepala_dinas: {email: a@b.id, phone: 1}", "kepala_dinas.phone"),
        ("- a\n- b\n", "expected a mapping"),
        ("kepala_dinas: [", "not YAML"),
    ):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=match) as err:
            load_officials(bad)
        assert str(bad) in str(err.value)


def test_each_step_queues_its_message_to_the_right_person_and_smtp_delivers_it(
    tmp_path: Path,
    officials: Path,
    start_smtp: StartSmtp,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp = start_smtp()
    monkeypatch.setenv("SIPELANGI_OFFICIALS", str(officials))  # the store reads it when first needed
    store = open_store(tmp_path / "t.db")
    transports = email(smtp.port)
    try:
        tid = store.create(request(), helpdesk="Helpdesk Rina").id
        [n2] = notifications(store, "disposition")
        assert (n2.channel, n2.recipient, n2.status) == ("email", KADIS, "pending")
        assert deliver_due(store, transports).sent == 1
        assert smtp.rcpt_tos[-1] == [KADIS]
        mail = smtp.messages[-1]
        assert mail["To"].addresses[0].addr_spec == KADIS
        assert "menunggu disposisi" in mail["Subject"] and tid in mail["Subject"]
        text = mail.get_content()
        assert "Yth. Kepala Dinas Komunikasi dan Informatika" in text
        assert "005/123/DINKES/2026" in text and "setujui, atau tunda dengan pertimbangan" in text

        store.apply(tid, Move(step=3, actor="Kadis", outcome="defer", note=NOTE))
        [n3] = notifications(store, "deferral")
        assert (n3.recipient, n3.status) == (PIC, "pending")
        assert deliver_due(store, transports).sent == 1
        assert smtp.rcpt_tos[-1] == [PIC]
        deferral = smtp.messages[-1]
        assert "ditunda" in deferral["Subject"]
        assert NOTE in deferral.get_content() and "Yth. Budi Santoso" in deferral.get_content()

        store.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))  # decided again: approved
        assert [n.status for n in notifications(store, "deferral")] == ["sent"]  # nothing new for the PIC
        drive(store, tid, 4, 5, 6, 7, 8, 9)
        assert notifications(store, "report") == []
        drive(store, tid, 10)
        [n10] = notifications(store, "report")
        assert (n10.recipient, n10.status) == (KABID, "pending")
        report = deliver_due(store, transports)
        assert (report.sent, report.failed) == (2, 0)  # the schedule (step 6) and the report
        assert [KABID] in smtp.rcpt_tos
        mail = next(m for m in smtp.messages if "Laporan pemasangan" in str(m["Subject"]))
        assert "menunggu pemeriksaan" in mail["Subject"]
        assert "Yth. Kepala Bidang Penyelenggaraan E-Government" in mail.get_content()
        assert "555/00001/LP-JIP/DISKOMINFO/XI/2026" in mail.get_content()
        kinds = [n.kind for n in notifications(store, "disposition", "deferral", "schedule", "report")]
        assert kinds == ["disposition", "deferral", "schedule", "report"]  # one each, in SOP order
    finally:
        store.close()


def test_approval_queues_nothing_for_the_pic(tmp_path: Path, officials: Path) -> None:
    store = open_store(tmp_path / "t.db", load_officials(officials))
    try:
        tid = store.create(request(), helpdesk="Rina").id
        store.apply(tid, Move(step=3, actor="Kadis", outcome="approve"))
        assert [n.kind for n in notifications(store, "disposition", "deferral")] == ["disposition"]
    finally:
        store.close()


def test_a_missing_address_is_queued_undeliverable_never_sent_nor_retried(
    tmp_path: Path,
    start_smtp: StartSmtp,  # noqa: F811 - the fixture imported above
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp = start_smtp()
    store = open_store(tmp_path / "t.db", Officials(source="inventory/officials.yaml"))
    try:
        ticket = store.create(request(), helpdesk="Rina")
        assert ticket.status == "forwarded"  # the step is recorded all the same
        [n] = notifications(store, "disposition")
        assert (n.status, n.recipient, n.attempts) == ("failed", "", 0)
        assert n.last_error == (
            "no e-mail address for the Kepala Dinas Komunikasi dan Informatika: set kepala_dinas.email in"
            " inventory/officials.yaml (SIPELANGI_OFFICIALS); this message is not sent"
        )
        assert "kepala_dinas.email" in caplog.text
        assert deliver_due(store, email(smtp.port)).sent == 0
        assert store.retry_failed() == 0
        assert smtp.messages == []
    finally:
        store.close()


def test_a_webhook_gets_the_officials_messages_too(tmp_path: Path) -> None:
    hook = "https://hooks.example.invalid/sipelangi"
    store = SqliteStore(tmp_path / "t.db", webhook_url=hook, officials=Officials())
    try:
        store.create(request(), helpdesk="Rina")
        rows = {n.channel: n for n in notifications(store, "disposition")}
        assert (rows["webhook"].recipient, rows["webhook"].status) == (hook, "pending")
        assert rows["email"].status == "failed"
    finally:
        store.close()


def test_a_malformed_officials_file_refuses_the_step_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "officials.yaml"
    bad.write_text("kepala_dinas: {email: not-an-address}\n", encoding="utf-8")
    monkeypatch.setenv("SIPELANGI_OFFICIALS", str(bad))
    store = open_store(tmp_path / "t.db")
    try:
        with pytest.raises(ConfigError, match=f"{bad}: kepala_dinas.email"):
            store.create(request(), helpdesk="Rina")
        assert store.tickets() == []
        assert notifications(store, "disposition") == []
    finally:
        store.close()


def test_the_shipped_example_of_the_officials_file_reads() -> None:
    from sipelangi_net.tickets.officials import load_officials, officials_path
    from sipelangi_net.workspace import SOURCE_ROOT as PROJECT_ROOT

    example = PROJECT_ROOT / "inventory" / "officials.example.yaml"
    officials = load_officials(example)
    assert officials.kepala_dinas.email and officials.kepala_bidang.email
    assert officials.kepala_dinas.name and officials.kepala_bidang.name
    assert officials_path().name == "officials.yaml"  # the example itself is never read by default
