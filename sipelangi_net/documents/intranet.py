"""The periodic Laporan Jaringan Intra Pemerintah (pure): tickets, SOP times, compliance, the OPDs'
availability and the month's faults with their times to repair, bandwidth."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from sipelangi_net.bandwidth.models import BwResult
from sipelangi_net.documents import parts
from sipelangi_net.documents.charts import Series, bar_chart, hbar_chart
from sipelangi_net.documents.compliance import ComplianceRun
from sipelangi_net.documents.gangguan import availability_section, faults_section
from sipelangi_net.documents.indonesian import bulan_tahun, nomor, tanggal, waktu
from sipelangi_net.documents.models import Chart, Document, Field, Section, Table
from sipelangi_net.documents.records import Signer
from sipelangi_net.errors import DocumentInputError, MalformedTicketError
from sipelangi_net.faults.models import FaultTicket
from sipelangi_net.faults.standards import DEFAULTS, FaultStandards
from sipelangi_net.tickets.messages import WIB
from sipelangi_net.tickets.models import Event, Ticket
from sipelangi_net.tickets.outputs import Tested, outputs_of
from sipelangi_net.tickets.sla import summarise
from sipelangi_net.tickets.sop import STEP_BY_NUMBER

KIND_CODE = "LJIP"
MAX_BARS = 12
"""Above this many tests, the trend chart shows weekly medians."""
STATUS = {
    "submitted": "diajukan",
    "forwarded": "diteruskan ke Kepala Dinas",
    "approved": "disetujui",
    "deferred": "ditunda",
    "analysed": "dianalisis",
    "prepared": "disiapkan",
    "scheduled": "dijadwalkan",
    "installed": "terpasang",
    "tested": "diuji",
    "handed_over": "diserahterimakan",
    "reported": "dilaporkan",
    "closed": "ditutup",
    "notified": "ditutup",
}
COMPLIANCE = {
    "compliant": "sesuai",
    "drift": "menyimpang",
    "unreachable": "tidak terjangkau",
    "error": "galat",
}


def period(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """[first day of the month, first day of the next) at 00.00 WIB."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise DocumentInputError(f"--month: {year:04d}-{month:02d} is not a month (YYYY-MM)")
    start = dt.datetime(year, month, 1, tzinfo=WIB)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=WIB)
    return start, end


def number(year: int, month: int) -> str:
    """``555/<YYYYMM>/LJIP/DISKOMINFO/<bulan>/<tahun>``: one report per month."""
    return nomor(KIND_CODE, f"{year:04d}{month:02d}", dt.date(year, month, 1))


def status_label(status: str) -> str:
    if status.endswith("_failed"):
        key = status.removesuffix("_failed")
        step = next((s for s in STEP_BY_NUMBER.values() if s.key == key), None)
        return f"gagal pada {parts.SHORT[step.number].lower()}" if step else "gagal"
    return STATUS.get(status, status)


def _in(event: Event, start: dt.datetime, end: dt.datetime) -> bool:
    return start <= event.ended_at < end


def _counts(tickets: Sequence[Ticket], start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    received = sum(1 for t in tickets if start <= t.created_at < end)
    events = [e for t in tickets for e in t.events if _in(e, start, end)]
    of = Counter((e.step, e.outcome) for e in events)
    return {
        "Diterima": received,
        "Disetujui": of[(3, "approve")],
        "Ditunda": of[(3, "defer")],
        "Terpasang": of[(7, "done")],
        "Diserahterimakan": of[(9, "done")],
        "Ditutup": of[(11, "done")],
    }


def _tickets_section(tickets: Sequence[Ticket], start: dt.datetime, end: dt.datetime) -> Section:
    counts = _counts(tickets, start, end)
    active = [t for t in tickets if start <= t.created_at < end or any(_in(e, start, end) for e in t.events)]
    rows = tuple(
        (t.id, t.request.opd, tanggal(t.created_at.astimezone(WIB).date()), status_label(t.status))
        for t in active
    )
    chart = bar_chart(
        list(counts), [Series("Jumlah tiket", tuple(float(v) for v in counts.values()))], unit="tiket"
    )
    return Section(
        "Rekapitulasi Tiket",
        fields=tuple(Field(k, f"{v} tiket") for k, v in counts.items()),
        charts=(Chart("Grafik rekapitulasi tiket", chart),),
        tables=(
            Table(
                header=("Nomor tiket", "Perangkat Daerah", "Tanggal masuk", "Status akhir"),
                rows=rows,
                caption="Tiket yang masuk atau berproses pada periode ini",
            ),
        )
        if rows
        else (),
        paragraphs=() if rows else ("Tidak ada tiket yang masuk atau berproses pada periode ini.",),
    )


def _sla_section(tickets: Sequence[Ticket], start: dt.datetime, end: dt.datetime) -> Section:
    rows = [r for r in summarise(tickets, since=start, until=end) if r.count]
    if not rows:
        return Section(
            "Waktu per Langkah SOP", paragraphs=("Tidak ada langkah SOP yang tercatat pada periode ini.",)
        )
    table = Table(
        header=("Langkah", "Standar", "Jumlah", "Median", "Dalam standar", "Melebihi"),
        rows=tuple(
            (
                f"{r.step}. {parts.SHORT[r.step]}",
                f"{r.standard_s // 60} menit",
                str(r.count),
                parts.durasi(r.median_s or 0.0),
                f"{parts.angka(100 * (r.within_standard or 0.0), 0)} %",
                str(r.breaches),
            )
            for r in rows
        ),
        marks=tuple(r.breaches > 0 for r in rows),
        numbered=False,
        caption="Median dan persentase kejadian yang selesai dalam standar waktu SOP",
    )
    svg = hbar_chart(
        [f"{r.step}. {parts.SHORT[r.step]}" for r in rows],
        [(r.median_s or 0.0) / 60 for r in rows],
        limits=[r.standard_s / 60 for r in rows],
        unit="menit",
        value_name="median waktu",
        limit_name="standar SOP",
    )
    return Section(
        "Waktu per Langkah SOP",
        charts=(Chart("Grafik median waktu per langkah (menit) terhadap standar", svg),),
        tables=(table,),
    )


def _compliance_section(run: ComplianceRun | None, source: str, opd_of: Mapping[str, str]) -> Section:
    title = "Status Kepatuhan Konfigurasi per Perangkat Daerah"
    if run is None:
        return Section(
            title, paragraphs=("Belum ada hasil pemeriksaan kepatuhan konfigurasi untuk periode ini.",)
        )
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for d in run.devices:
        per[opd_of.get(d.site or "", d.site or "Jaringan inti (tanpa lokasi OPD)")][d.status] += 1
    rows = []
    for opd in sorted(per):
        c = per[opd]
        state = "sesuai" if set(c) == {"compliant"} else "perlu tindak lanjut"
        rows.append((opd, *(str(c[s]) for s in COMPLIANCE), state))
    return Section(
        title,
        paragraphs=(
            f"Hasil pemeriksaan terakhir {waktu(run.finished_at)} atas {len(run.devices)} perangkat"
            f" (sumber: {source}).",
        ),
        tables=(
            Table(
                header=("Perangkat Daerah", *(v.capitalize() for v in COMPLIANCE.values()), "Keadaan"),
                rows=tuple(rows),
                marks=tuple(r[-1] != "sesuai" for r in rows),
                caption="Jumlah perangkat per status kepatuhan konfigurasi",
            ),
        ),
    )


def _bw_results(
    tickets: Sequence[Ticket], start: dt.datetime, end: dt.datetime
) -> list[tuple[Ticket, BwResult]]:
    out = []
    for t in tickets:
        for e in t.events:
            if e.step == 8 and _in(e, start, end):
                try:
                    out.append((t, outputs_of(t, e, Tested).bwtest))
                except MalformedTicketError:  # the service screens tickets first; a pure caller may not
                    continue
    return sorted(out, key=lambda x: x[1].started_at)


def _trend(
    tests: list[tuple[str, BwResult]], down_pct: list[float], up_pct: list[float]
) -> tuple[list[str], tuple[float, ...], tuple[float, ...], str]:
    """One bar pair per test; over MAX_BARS tests, the median per week (labelled by its Monday)."""
    if len(tests) <= MAX_BARS:
        return [site for site, _ in tests], tuple(down_pct), tuple(up_pct), "urut waktu uji"
    weeks: dict[dt.date, list[int]] = defaultdict(list)
    for i, (_, r) in enumerate(tests):
        day = r.started_at.astimezone(WIB).date()
        weeks[day - dt.timedelta(days=day.weekday())].append(i)
    mondays = sorted(weeks)
    return (
        [f"mg. {m:%d/%m}" for m in mondays],
        tuple(statistics.median(down_pct[i] for i in weeks[m]) for m in mondays),
        tuple(statistics.median(up_pct[i] for i in weeks[m]) for m in mondays),
        "median per minggu (tanggal Senin)",
    )


def _bw_section(results: list[tuple[Ticket, BwResult]]) -> Section:
    title = "Hasil Uji Bandwidth dan Tren"
    measured = [(t, r) for t, r in results if r.iperf is not None]
    if not measured:
        return Section(title, paragraphs=("Tidak ada uji bandwidth yang tercatat pada periode ini.",))
    rows, down_pct, up_pct = [], [], []
    for t, r in measured:
        assert r.iperf is not None
        d = 100 * r.iperf.download_mbps / r.target_down_mbps
        u = 100 * r.iperf.upload_mbps / r.target_up_mbps
        down_pct.append(d)
        up_pct.append(u)
        rows.append(
            (
                f"{r.started_at.astimezone(WIB):%d-%m-%Y}",
                f"{t.request.opd} ({t.id})",
                f"{parts.angka(r.target_down_mbps)} / {parts.angka(r.target_up_mbps)}",
                f"{parts.angka(r.iperf.download_mbps)} / {parts.angka(r.iperf.upload_mbps)}",
                f"{parts.angka(d, 0)} / {parts.angka(u, 0)}",
                "lulus" if r.passed else "tidak lulus",
            )
        )
    passed = sum(1 for _, r in measured if r.passed)
    labels, down, up, per = _trend([(t.request.site, r) for t, r in measured], down_pct, up_pct)
    svg = bar_chart(
        labels, [Series("Unduh (% target)", down), Series("Unggah (% target)", up)], unit="% target"
    )
    return Section(
        title,
        paragraphs=(
            f"{len(measured)} uji, {passed} lulus. Median hasil terhadap target: unduh"
            f" {parts.angka(statistics.median(down_pct), 0)} %,"
            f" unggah {parts.angka(statistics.median(up_pct), 0)} %.",
        ),
        charts=(Chart(f"Grafik hasil uji terhadap target, {per}", svg),),
        tables=(
            Table(
                header=("Tanggal", "Perangkat Daerah", "Target Mbit/s", "Hasil Mbit/s", "Capaian %", "Hasil"),
                rows=tuple(rows),
                marks=tuple(r[-1] != "lulus" for r in rows),
                caption="Target dan hasil: unduh / unggah",
            ),
        ),
    )


def connected(tickets: Sequence[Ticket], end: dt.datetime) -> dict[str, str]:
    """Site → OPD name of the OPDs installed (step 7 done) before ``end``."""
    return {
        t.request.site: t.request.opd
        for t in tickets
        if any(e.step == 7 and e.outcome == "done" and e.ended_at < end for e in t.events)
    }


def fault_sections(
    tickets: Sequence[Ticket],
    faults: Sequence[FaultTicket],
    *,
    standards: FaultStandards,
    names: Mapping[str, str],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> tuple[Section, Section]:
    """The availability per OPD (those connected by ``end`` and those a fault names) and the faults
    of the period (:mod:`sipelangi_net.documents.gangguan`); ``names``: site key → OPD name."""
    opds = {site: names.get(site, opd) for site, opd in connected(tickets, end).items()}
    for fault in faults:
        for site in fault.opds:
            opds.setdefault(site, names.get(site, site))
    return (
        availability_section(faults, opds, start=start, end=end, now=now),
        faults_section(faults, standards, start=start, end=end, now=now),
    )


def build_intranet_report(
    tickets: Sequence[Ticket],
    *,
    year: int,
    month: int,
    prepared_by: Signer,
    compliance: ComplianceRun | None = None,
    compliance_source: str = "",
    opd_of: Mapping[str, str] | None = None,
    on: dt.date | None = None,
    extra: Sequence[Section] = (),
    faults: Sequence[FaultTicket] | None = None,
    standards: FaultStandards = DEFAULTS,
    now: dt.datetime | None = None,
) -> Document:
    """The monthly intranet report over ``tickets`` (all of the store; filtered here by period).

    ``opd_of`` maps site keys to OPD names (default: from the tickets' requests); ``on`` is the
    report's date (default: the last day of the month); ``extra``: sections added before the
    bandwidth results (the pages add the requesters' satisfaction). ``faults``: the fault tickets
    open at any time in the month (the store's ``faults.list(since=, until=)``), for the OPDs'
    availability and the faults with their times to repair against ``standards``; ``now`` ends a
    month under way (default: the month's end). None: the report has no fault sections.
    """
    start, end = period(year, month)
    received = sum(1 for t in tickets if start <= t.created_at < end)
    names = {t.request.site: t.request.opd for t in tickets} | dict(opd_of or {})
    day = on or (end - dt.timedelta(days=1)).date()
    label = bulan_tahun(year, month)
    doc_number = number(year, month)
    gangguan = (
        fault_sections(
            tickets, faults, standards=standards, names=names, start=start, end=end, now=now or end
        )
        if faults is not None
        else ()
    )
    sections = (
        Section(
            "Pendahuluan",
            paragraphs=(
                f"Laporan ini menyajikan penyelenggaraan Jaringan Intra Pemerintah Kota Pangkalpinang periode"
                f" {label}: permohonan yang diterima dan diproses, waktu pelaksanaan setiap langkah SOP"
                " terhadap standar, kepatuhan konfigurasi perangkat,"
                + (
                    " ketersediaan layanan per Perangkat Daerah, gangguan dan waktu perbaikannya,"
                    if gangguan
                    else ""
                )
                + " dan hasil uji bandwidth.",
            ),
        ),
        _tickets_section(tickets, start, end),
        _sla_section(tickets, start, end),
        _compliance_section(compliance, compliance_source, names),
        *gangguan,
        *extra,
        _bw_section(_bw_results(tickets, start, end)),
    )
    return Document(
        kind="laporan-intra",
        title="LAPORAN JARINGAN INTRA PEMERINTAH",
        subtitle=f"PERIODE {label.upper()}",
        number=doc_number,
        date=tanggal(day),
        place="Pangkalpinang",
        slug=f"laporan-intra-{year:04d}-{month:02d}",
        folder=f"intra/{year:04d}-{month:02d}",
        opening=(
            "Kepada Yth. Kepala Dinas Komunikasi dan Informatika Kota Pangkalpinang, melalui Kepala Bidang"
            " Penyelenggaraan E-Government."
        ),
        sections=sections,
        closing="Demikian laporan ini disampaikan untuk dipergunakan sebagaimana mestinya.",
        parties=(parts.party("Penyusun,", prepared_by, unit=parts.DINAS),),
        footer="Disusun dari catatan tiket SiPelangi"
        + (", tiket gangguan" if gangguan else "")
        + " dan hasil pemeriksaan kepatuhan konfigurasi.",
        facts={
            "number": doc_number,
            "period": f"{year:04d}-{month:02d}",
            "received": str(received),
            **({"faults": str(len(faults))} if faults is not None else {}),
        },
    )
