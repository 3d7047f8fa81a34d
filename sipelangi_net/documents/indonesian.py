"""Indonesian forms for official documents (pure): dates in words, Roman months, NIP, document numbers.

Dates reuse :mod:`sipelangi_net.tickets.messages` (WIB, month names).
"""

from __future__ import annotations

import datetime as dt
import re

from sipelangi_net.errors import DocumentInputError
from sipelangi_net.tickets.messages import MONTHS, WIB

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_UNITS = (
    "nol",
    "satu",
    "dua",
    "tiga",
    "empat",
    "lima",
    "enam",
    "tujuh",
    "delapan",
    "sembilan",
    "sepuluh",
    "sebelas",
)
NIP_RE = re.compile(r"^\d{18}$")
TICKET_SEQ_RE = re.compile(r"^SPL-(\d{4})-(\d{5})$")

KODE_KLASIFIKASI = "555"
"""Archive classification code of the letters (Permendagri 78/2012: 555, telekomunikasi)."""
INSTANSI = "DISKOMINFO"


def terbilang(n: int) -> str:
    """``n`` (0 .. 999 999 999) in Indonesian words, e.g. 2026 → 'dua ribu dua puluh enam'."""
    if n < 0 or n >= 1_000_000_000:
        raise ValueError(f"terbilang: {n} is out of range")
    if n < 12:
        return _UNITS[n]
    if n < 20:
        return f"{_UNITS[n - 10]} belas"
    for size, word, one in ((1_000_000, "juta", ""), (1000, "ribu", "seribu"), (100, "ratus", "seratus")):
        if n >= size:
            head = one if n // size == 1 and one else f"{terbilang(n // size)} {word}"
            return _join(head, n % size)
    return _join(f"{_UNITS[n // 10]} puluh", n % 10)


def _join(head: str, rest: int) -> str:
    return head if rest == 0 else f"{head} {terbilang(rest)}"


def local_date(value: dt.datetime) -> dt.date:
    """The calendar date of ``value`` in WIB."""
    return value.astimezone(WIB).date()


def tanggal(value: dt.date) -> str:
    """'30 November 2026'."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def hari(value: dt.date) -> str:
    return DAYS[value.weekday()]


def pada_hari_ini(value: dt.date) -> str:
    """The opening of a berita acara, e.g. 'Pada hari ini Senin tanggal tiga puluh bulan November
    tahun dua ribu dua puluh enam (30-11-2026)'."""
    return (
        f"Pada hari ini {hari(value)} tanggal {terbilang(value.day)} bulan {MONTHS[value.month - 1]}"
        f" tahun {terbilang(value.year)} ({value:%d-%m-%Y})"
    )


def waktu(value: dt.datetime) -> str:
    """'30 November 2026 09.15 WIB'."""
    local = value.astimezone(WIB)
    return f"{tanggal(local.date())} {local:%H.%M} WIB"


def bulan_tahun(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


def ticket_seq(ticket_id: str) -> str:
    match = TICKET_SEQ_RE.match(ticket_id)
    if match is None:
        raise DocumentInputError(f"ticket id {ticket_id!r} is not of the form SPL-YYYY-NNNNN")
    return match.group(2)


def nomor(kind: str, seq: str, on: dt.date, *, kode: str = KODE_KLASIFIKASI) -> str:
    """A letter number like Indonesian government letters: ``555/00001/BA-JIP/DISKOMINFO/XI/2026``."""
    return f"{kode}/{seq}/{kind}/{INSTANSI}/{ROMAN[on.month - 1]}/{on.year}"


def check_nip(nip: str, *, field: str) -> str:
    """A civil servant's NIP: 18 digits (birth date, appointment month, sex 1/2, serial)."""
    value = nip.replace(" ", "")
    if not NIP_RE.match(value):
        raise DocumentInputError(f"{field}: a NIP has 18 digits (e.g. 198001012005011001), got {len(value)}")
    try:
        dt.date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise DocumentInputError(
            f"{field}: the NIP's first 8 digits are not a birth date (YYYYMMDD)"
        ) from None
    if not 1 <= int(value[12:14]) <= 12:
        raise DocumentInputError(f"{field}: NIP digits 9-14 are not an appointment month (YYYYMM)")
    if value[14] not in "12":
        raise DocumentInputError(f"{field}: NIP digit 15 is the sex code, 1 or 2")
    return value


def nip_display(nip: str) -> str:
    """'19800101 200501 1 001', as NIPs are printed under a signature."""
    return f"{nip[0:8]} {nip[8:14]} {nip[14]} {nip[15:18]}"
