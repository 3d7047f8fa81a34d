"""What a fault's steps put in the outbox (sipelangi_net/faults/notices.py): pure, no store."""

from __future__ import annotations

import datetime as dt

from sipelangi_net.faults.models import FaultActor, FaultTicket, LinkRef
from sipelangi_net.faults.notices import Contact, durasi, queued_for_fault
from sipelangi_net.faults.sop import FaultRole
from sipelangi_net.faults.workflow import move, open_fault
from sipelangi_net.tickets.officials import Official, Officials

T0 = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
MONITOR = FaultActor(role=FaultRole.MONITOR, name="nms")
HELPDESK = "helpdesk@diskominfo.pangkalpinangkota.go.id"
OFFICIALS = Officials(helpdesk=Official(email=HELPDESK), source="inventory/officials.yaml")
DINKES = Contact("dinkes", "Dinas Kesehatan", "Budi", "budi@dinkes.go.id", "SPL-2026-00001")


def fault(**changes: object) -> FaultTicket:
    fields: dict[str, object] = {
        "number": 7,
        "kind": "link_down",
        "source": "monitor",
        "severity": "outage",
        "device": "core-diskominfo",
        "summary": "Link core-diskominfo:eth2--dist-gerunggang:eth0 putus",
        "opened_at": T0,
        "reported_at": T0,
        "actor": MONITOR,
        "link": LinkRef(a="core-diskominfo", b="dist-gerunggang"),
        "opds": ("dinkes", "kec-gerunggang"),
        "tickets": ("SPL-2026-00001",),
    }
    fields.update(changes)
    return open_fault(**fields)  # type: ignore[arg-type]


def closed(f: FaultTicket, minutes: int, note: str = "") -> FaultTicket:
    at = T0 + dt.timedelta(minutes=minutes)
    return move(move(f, "verified", at=at, actor=MONITOR), "closed", at=at, actor=MONITOR, note=note)


def test_opening_mails_the_helpdesk_and_each_pic_once_and_posts_one_webhook() -> None:
    twice = Contact("kec-gerunggang", "Kecamatan Gerunggang", "Budi", "budi@dinkes.go.id", "SPL-2026-00002")
    out = queued_for_fault(
        fault(), contacts=(DINKES, twice), officials=OFFICIALS, webhook_url="https://hook.example/x"
    )
    assert [(q.kind, q.channel, q.recipient) for q in out] == [
        ("fault_opened", "email", HELPDESK),
        ("fault_opened", "email", "budi@dinkes.go.id"),
        ("fault_opened", "webhook", "https://hook.example/x"),
    ]
    subject, body = out[1].subject, out[1].body
    assert subject == "[SiPelangi GGN-00007] Gangguan jaringan tercatat: dinkes, kec-gerunggang"
    assert body.startswith("Yth. Budi (Dinas Kesehatan),")
    assert "Lokasi: jalur core-diskominfo - dist-gerunggang (dilihat dari core-diskominfo)" in body
    assert "OPD terdampak: Dinas Kesehatan (dinkes), Kecamatan Gerunggang (kec-gerunggang)" in body
    assert "Mulai: 1 Desember 2026 pukul 08.00 WIB" in body and "Tingkat: Putus (OPD terputus)" in body
    assert out[0].body.startswith("Yth. Helpdesk Diskominfo,")


def test_closing_says_the_time_to_repair_and_the_middle_steps_send_nothing() -> None:
    f = fault(opds=(), tickets=(), link=None, severity="minor", kind="unreachable")
    triaged = move(f, "triaged", at=T0, actor=FaultActor(role=FaultRole.HELPDESK, name="rina"))
    assert queued_for_fault(triaged, contacts=(), officials=OFFICIALS, webhook_url=None) == []
    done = closed(triaged, 26 * 60 + 5, note="modul SFP diganti")
    (q,) = queued_for_fault(done, contacts=(), officials=OFFICIALS, webhook_url=None)
    assert (
        q.kind == "fault_closed"
        and "selesai ditangani" in q.subject
        and q.subject.endswith(": core-diskominfo")
    )
    assert "Waktu perbaikan: 1 hari 2 jam 5 menit" in q.body and "Catatan: modul SFP diganti" in q.body
    assert "Lokasi: perangkat core-diskominfo" in q.body and "tidak ada OPD yang terputus" in q.body


def test_no_helpdesk_address_is_queued_undeliverable_naming_the_file_and_field() -> None:
    (q,) = queued_for_fault(
        fault(), contacts=(), officials=Officials(source="x/officials.yaml"), webhook_url=None
    )
    assert q.recipient == "" and "set helpdesk.email in x/officials.yaml" in q.undeliverable


def test_a_stored_value_can_add_neither_a_header_nor_a_line() -> None:
    hostile = Contact(
        "dinkes", "Dinas\nBcc: x@evil.example", "Budi\r\nX-Evil: 1", "budi@dinkes.go.id", "SPL-2026-00001"
    )
    for q in queued_for_fault(fault(), contacts=(hostile,), officials=OFFICIALS, webhook_url=None):
        assert "\r" not in q.subject + q.body and "\n" not in q.subject
        assert "\nBcc:" not in q.body and "\nX-Evil" not in q.body


def test_durations_read_in_bahasa_indonesia() -> None:
    assert durasi(dt.timedelta(seconds=45)) == "45 detik"
    assert durasi(dt.timedelta(hours=1, minutes=25)) == "1 jam 25 menit"
    assert durasi(dt.timedelta(days=2, seconds=59)) == "2 hari"
    assert durasi(dt.timedelta(seconds=-5)) == "0 detik"
