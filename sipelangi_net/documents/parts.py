"""Pieces shared by the documents (pure): tables of devices, rules, test figures, timeline; parties."""

from __future__ import annotations

from sipelangi_net.analysis.plan import Plan
from sipelangi_net.bandwidth.models import BwResult
from sipelangi_net.documents.charts import Series, bar_chart
from sipelangi_net.documents.indonesian import nip_display, tanggal, waktu
from sipelangi_net.documents.models import Chart, Field, Party, Table
from sipelangi_net.documents.records import DeployedDevice, Signer
from sipelangi_net.platforms import PLATFORMS
from sipelangi_net.tickets.messages import WIB
from sipelangi_net.tickets.models import Ticket
from sipelangi_net.tickets.sop import STEP_BY_NUMBER

DINAS = "Dinas Komunikasi dan Informatika Kota Pangkalpinang"
TIM_KERJA = "Tim Kerja Jaringan Intra Pemerintah"
STATE = {
    "confirmed": "terpasang, dikonfirmasi",
    "unchanged": "tidak berubah (sudah sesuai)",
    "rolled_back": "dikembalikan (rollback)",
    "failed": "gagal",
}
PLATFORM = {p.value: s.display_name for p, s in PLATFORMS.items()}
"""Platform value → its name in documents (the specs' ``display_name``)."""


DASH = "\u2013"
"""En dash: an empty cell or a range."""
SHORT = {
    1: "Permohonan",
    2: "Penerusan tiket",
    3: "Disposisi",
    4: "Analisis kebutuhan",
    5: "Persiapan instalasi",
    6: "Informasi jadwal",
    7: "Instalasi",
    8: "Uji kualitas",
    9: "Berita acara",
    10: "Laporan instalasi",
    11: "Penutupan tiket",
    12: "Notifikasi penutupan",
}
"""Short Indonesian names of the SOP steps, for charts and narrow tables."""


def durasi(seconds: float) -> str:
    """'45 detik', '12 menit 05 detik', '1 jam 05 menit'."""
    s = round(seconds)
    if s < 60:
        return f"{s} detik"
    if s < 3600:
        return f"{s // 60} menit {s % 60:02d} detik"
    return f"{s // 3600} jam {s % 3600 // 60:02d} menit"


def angka(value: float, digits: int = 1) -> str:
    """Indonesian decimal comma: 47,8."""
    return f"{value:.{digits}f}".replace(".", ",")


def app_names(plan: Plan) -> str:
    names = {a.app: a.name for a in plan.bandwidth.per_app}
    return ", ".join(names.get(a, a) for a in plan.applications)


def request_fields(ticket: Ticket, plan: Plan, *, address: str) -> tuple[Field, ...]:
    req = ticket.request
    return (
        Field("Perangkat Daerah (OPD)", req.opd),
        Field("Lokasi", f"{address} (kode lokasi {req.site})" if address else f"kode lokasi {req.site}"),
        Field("Narahubung (PIC)", f"{req.pic.name}, {req.pic.phone}, {req.pic.email}"),
        Field("Jumlah pengguna", f"{req.users} orang"),
        Field("Aplikasi", app_names(plan)),
        Field("Surat permohonan", f"Nomor {req.letter.number} tanggal {tanggal(req.letter.date)}"),
        Field("Nomor tiket SiPelangi", ticket.id),
    )


def network_fields(plan: Plan) -> tuple[Field, ...]:
    out = [Field("VLAN", str(plan.vlan) if plan.vlan is not None else "tanpa VLAN (port akses)")]
    if plan.addressing is not None:
        a = plan.addressing
        out += [
            Field("Subnet", str(a.subnet)),
            Field("Gateway", str(a.gateway.ip)),
            Field("Rentang DHCP", f"{a.dhcp_first} {DASH} {a.dhcp_last}"),
        ]
    out.append(
        Field(
            "Kapasitas dialokasikan",
            f"unduh {plan.bandwidth.down_mbit} Mbit/s, unggah {plan.bandwidth.up_mbit} Mbit/s",
        )
    )
    return tuple(out)


def device_table(devices: tuple[DeployedDevice, ...]) -> Table:
    rows = []
    for d in devices:
        verified = {True: "ya", False: "tidak", None: DASH}[d.verified]
        rows.append(
            (
                d.device,
                PLATFORM.get(d.platform, d.platform),
                str(len(d.commands)),
                STATE.get(d.state, d.state),
                verified,
            )
        )
    return Table(
        header=("Perangkat", "Platform", "Jumlah baris konfigurasi", "Status", "Terverifikasi"),
        rows=tuple(rows),
        caption="Perangkat yang dikonfigurasi",
    )


def rules_table(plan: Plan) -> Table:
    names = {a.app: a.name for a in plan.bandwidth.per_app}
    rows = tuple(
        (names.get(r.name, r.name.upper()), str(r.destination), f"{r.protocol.upper()}/{r.port}", r.qos)
        for r in plan.access_rules
    )
    return Table(
        header=("Aplikasi", "Alamat tujuan", "Protokol/Port", "Kelas QoS"),
        rows=rows,
        caption="Aturan akses yang diizinkan",
    )


def _verdict(ok: bool) -> str:
    return "Memenuhi" if ok else "Tidak memenuhi"


def bw_table(result: BwResult) -> Table:
    floor = 1 - result.tolerance
    rows: list[tuple[str, ...]] = []
    marks: list[bool] = []
    if result.iperf is not None:
        ip = result.iperf
        for label, target, got in (
            ("Unduh (server → OPD), TCP", result.target_down_mbps, ip.download_mbps),
            ("Unggah (OPD → server), TCP", result.target_up_mbps, ip.upload_mbps),
        ):
            ok = got >= target * floor
            rows.append((label, f"{angka(target)} Mbit/s", f"{angka(got)} Mbit/s", _verdict(ok)))
            marks.append(not ok)
        if ip.jitter_ms is None or ip.loss_pct is None:
            rows.append(("Uji UDP (jitter, paket hilang)", "≤ 1,0 %", "Tidak terukur", _verdict(False)))
            marks.append(True)
        else:
            rows.append(("Jitter UDP", DASH, f"{angka(ip.jitter_ms, 2)} ms", "Dicatat"))
            marks.append(False)
            loss_ok = ip.loss_pct <= 1.0
            rows.append(("Paket hilang UDP", "≤ 1,0 %", f"{angka(ip.loss_pct, 2)} %", _verdict(loss_ok)))
            marks.append(not loss_ok)
    if result.speedtest is not None:
        sp = result.speedtest
        rows.append(("Speedtest unduh", DASH, f"{angka(sp.download_mbps)} Mbit/s", "Dicatat"))
        rows.append(("Speedtest unggah", DASH, f"{angka(sp.upload_mbps)} Mbit/s", "Dicatat"))
        rows.append(("Speedtest latensi", DASH, f"{angka(sp.ping_ms)} ms", "Dicatat"))
        marks += [False, False, False]
    return Table(
        header=("Parameter", "Target", "Hasil", "Keterangan"),
        rows=tuple(rows),
        marks=tuple(marks),
        caption=f"Batas lulus: hasil ≥ {angka(floor * 100)} % dari target (toleransi header TCP/IP)",
    )


def bw_fields(result: BwResult) -> tuple[Field, ...]:
    verdict = "LULUS (memenuhi target)" if result.passed else "TIDAK LULUS"
    fields = [
        Field("Waktu pengujian", waktu(result.started_at)),
        Field("Server uji", result.server),
        Field("Dari", result.client),
    ]
    if result.iperf is not None:
        fields.append(
            Field(
                "Metode", f"iperf3, {result.iperf.streams} aliran TCP, {result.iperf.seconds} detik per arah"
            )
        )
    fields.append(Field("Kesimpulan", f"{verdict}; {conclusion(result)}"))
    return tuple(fields)


def conclusion(result: BwResult) -> str:
    """The test against the target in Indonesian words (the runner's ``reason`` may be in English)."""
    floor = 1 - result.tolerance
    if result.iperf is None:
        return "pengujian iperf3 tidak tersedia, hanya speedtest"
    ip = result.iperf
    down_pct = 100 * ip.download_mbps / result.target_down_mbps
    return (
        f"unduh {angka(ip.download_mbps)} Mbit/s ({angka(down_pct, 0)} %"
        f" dari target {angka(result.target_down_mbps)} Mbit/s), unggah {angka(ip.upload_mbps)} Mbit/s"
        f" ({angka(100 * ip.upload_mbps / result.target_up_mbps, 0)} % dari target"
        f" {angka(result.target_up_mbps)} Mbit/s); batas lulus {angka(floor * 100, 0)} % dari target"
    )


def bw_chart(result: BwResult) -> Chart | None:
    if result.iperf is None:
        return None
    svg = bar_chart(
        ["Unduh", "Unggah"],
        [
            Series("Target (Mbit/s)", (result.target_down_mbps, result.target_up_mbps)),
            Series("Hasil uji (Mbit/s)", (result.iperf.download_mbps, result.iperf.upload_mbps)),
        ],
        unit="Mbit/s",
        width=420,
        height=200,
    )
    return Chart("Grafik hasil uji terhadap target", svg)


def timeline_table(ticket: Ticket) -> Table:
    rows = []
    marks = []
    for e in ticket.events:
        step = STEP_BY_NUMBER[e.step]
        outcome = {"done": "selesai", "approve": "disetujui", "defer": "ditunda", "failed": "gagal"}[
            e.outcome
        ]
        rows.append(
            (
                str(e.step),
                step.activity,
                f"{e.actor} ({e.role})",
                f"{e.ended_at.astimezone(WIB):%d-%m-%Y %H.%M}",
                durasi(e.duration_s),
                f"{step.standard_min} menit",
                outcome if not e.breach else f"{outcome}; melebihi standar",
            )
        )
        marks.append(e.breach)
    return Table(
        header=("Lgk.", "Kegiatan", "Pelaksana", "Selesai (WIB)", "Waktu", "Standar", "Keterangan"),
        rows=tuple(rows),
        marks=tuple(marks),
        caption="Baris bertanda merah melebihi standar waktu SOP",
        numbered=False,
    )


def party(label: str, s: Signer, *, unit: str) -> Party:
    jabatan = TIM_KERJA if s.role == "tim_kerja" else "Pemohon"
    return Party(label=label, jabatan=jabatan, unit=unit, name=s.name, nip=f"NIP. {nip_display(s.nip)}")
