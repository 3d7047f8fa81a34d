"""Synthetic tickets for the document tests: a real plan (analysis on day-0 facts), a real deploy
report and a synthetic bandwidth result, walked through the real workflow with chosen times."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from typing import Any

from analysis_data import catalogues, day0_facts
from ticket_data import request

from sipelangi_net.analysis.analyze import Inputs, analyze
from sipelangi_net.bandwidth.models import BwResult, IperfFigures
from sipelangi_net.change.push import DeployReport, DeviceResult
from sipelangi_net.tickets import workflow
from sipelangi_net.tickets.models import Move, Ticket

T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # Monday 08:00 WIB
TIM = {"role": "tim_kerja", "name": "Rahmat Hidayat, S.Kom.", "nip": "198703152010011002"}
PEMOHON = {"role": "pemohon", "name": "Dr. Siti Aminah, M.Kes.", "nip": "197505202000032001"}
# step: (minutes after T0 it starts, minutes it takes)
TIMES = {
    3: (5, 10),
    4: (20, 25),
    5: (50, 12),
    6: (70, 1),
    7: (1500, 55),
    8: (1560, 8),
    9: (1575, 4),
    10: (1585, 12),
}


def plan_json(ticket_id: str = "SPL-2026-00001") -> dict[str, Any]:
    return copy.deepcopy(_plan_json(ticket_id))


@functools.lru_cache(maxsize=64)
def _plan_json(ticket_id: str) -> dict[str, Any]:
    cat = catalogues()
    plan = analyze(Inputs(ticket_id, request(), cat, day0_facts(cat, at=T0), (), T0))
    assert plan.available, plan.problems
    return plan.model_dump(mode="json")


def deploy_json(ticket_id: str = "SPL-2026-00001") -> dict[str, Any]:
    report = DeployReport(
        ticket_id=ticket_id,
        changed=True,
        devices=[
            DeviceResult(
                device="dist-gerunggang",
                platform="frr",
                backup_sha256="8ee3c7ec15ab" + "0" * 52,
                backup_path=f"reports/{ticket_id}/backups/dist-gerunggang.8ee3c7ec15ab.cfg",
                commands=("interface eth1", " ip address 10.20.0.1/25", "exit"),
                state="confirmed",
                verified=True,
            ),
            DeviceResult(
                device="sw-dinkes",
                platform="ovs",
                backup_sha256="14bf8076232b" + "1" * 52,
                backup_path=f"reports/{ticket_id}/backups/sw-dinkes.14bf8076232b.json",
                commands=("set port eth1 tag=120",),
                state="confirmed",
                verified=True,
            ),
        ],
    )
    return report.to_json()


def bw_json(
    ticket_id: str = "SPL-2026-00001", *, down: float = 17.3, up: float = 7.7, **kw: Any
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ticket_id": ticket_id,
        "verdict": "pass",
        "reason": f"download {down} >= 16.92 Mbit/s and upload {up} >= 7.52 Mbit/s",
        "target_down_mbps": 18.0,
        "target_up_mbps": 8.0,
        "tolerance": 0.06,
        "client": "pc-dinkes",
        "server": "srv-iperf 10.0.0.10:5201",
        "started_at": (T0 + dt.timedelta(minutes=1561)).isoformat(),
        "duration_s": 14.2,
        "iperf": IperfFigures(
            download_mbps=down,
            upload_mbps=up,
            retransmits_down=3,
            retransmits_up=0,
            jitter_ms=0.042,
            loss_pct=0.0,
            udp_mbps=18.0,
            streams=4,
            seconds=5,
        ).model_dump(mode="json"),
    }
    fields.update(kw)
    return BwResult.model_validate(fields).model_dump(mode="json")


def handover_json(number: str = "555/00001/BA-JIP/DISKOMINFO/XI/2026") -> dict[str, Any]:
    return {"number": number, "signers": [TIM, PEMOHON], "scan_sha256": "a" * 64, "scan": "scan.pdf"}


def report_json(ticket_id: str = "SPL-2026-00001") -> dict[str, Any]:
    folder = f"reports/{ticket_id}"
    return {
        "kind": "laporan-pemasangan",
        "number": "555/00001/LP-JIP/DISKOMINFO/XI/2026",
        "html": {"path": f"{folder}/laporan-pemasangan.html", "sha256": "b" * 64},
        "pdf": {"path": f"{folder}/laporan-pemasangan.pdf", "sha256": "c" * 64},
        "attachments": [],
    }


def outputs_for(step: int, ticket_id: str, outcome: str = "done") -> dict[str, Any]:
    """The outputs a step's command records (what the step's schema needs), for ``outcome``."""
    if step == 8:  # a test result is kept whether it passed or not
        verdict = {} if outcome == "done" else {"verdict": "fail", "reason": "download 9.1 < 16.92 Mbit/s"}
        return {"bwtest": bw_json(ticket_id, **verdict)}
    if outcome != "done":
        return {}
    return {
        4: lambda: {"plan": plan_json(ticket_id)},
        5: lambda: {
            "equipment": [],
            "start": "2026-11-30T09:00:00+07:00",
            "end": "2026-11-30T12:00:00+07:00",
            "schedule": "Senin, 30 November 2026 09.00-12.00 WIB",
        },
        7: lambda: {"deploy": deploy_json(ticket_id)},
        9: lambda: {"handover": handover_json()},
        10: lambda: {"report": report_json(ticket_id)},
        12: lambda: {"channel": "email", "recipient": "budi@dinkes.pangkalpinangkota.go.id"},
    }.get(step, dict)()


def advance(ticket: Ticket, move: Move, *, now: dt.datetime) -> Ticket:
    t = workflow.plan(ticket, move, now=now)
    return ticket.model_copy(update={"events": (*ticket.events, t.event), "status": t.status})


def ticket_upto(
    last: int,
    *,
    ticket_id: str = "SPL-2026-00001",
    t0: dt.datetime = T0,
    outputs: dict[int, dict[str, Any]] | None = None,
    outcomes: dict[int, str] | None = None,
    times: dict[int, tuple[int, int]] | None = None,
    **changes: Any,
) -> Ticket:
    """A ticket whose steps 1..``last`` are recorded (step 3 approves), with the times of TIMES."""
    req = request(submitted_at=t0 - dt.timedelta(minutes=4), **changes)
    created, events = workflow.opening(ticket_id, req, helpdesk="Helpdesk Diskominfo", now=t0)
    ticket = Ticket(id=ticket_id, created_at=created, request=req, status="forwarded", events=events)
    for step in range(3, last + 1):
        start, minutes = (times or {}).get(step, TIMES[step])
        outcome = (outcomes or {}).get(step, "approve" if step == 3 else "done")
        move = Move(
            step=step,
            actor="Kepala Dinas" if step == 3 else "Rahmat Hidayat",
            outcome=outcome,  # type: ignore[arg-type]
            note="" if outcome in ("done", "approve") else "alasan",
            outputs=(outputs or {}).get(step, outputs_for(step, ticket_id)),
            started_at=t0 + dt.timedelta(minutes=start),
            ended_at=t0 + dt.timedelta(minutes=start + minutes),
        )
        ticket = advance(ticket, move, now=t0 + dt.timedelta(days=30))
    return ticket
