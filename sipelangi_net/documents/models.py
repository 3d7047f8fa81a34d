"""Typed document models: everything a template shows, already in Bahasa Indonesia and formatted.

Builders (pure) make these from a ticket; the writer renders them. A template never formats a
value itself, so a missing value is caught by the builder, never printed as a blank or "None".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["berita-acara", "laporan-pemasangan", "laporan-intra", "lembar-disposisi"]


@dataclass(frozen=True, slots=True)
class Kop:
    """The letterhead (kop surat)."""

    pemerintah: str = "PEMERINTAH KOTA PANGKALPINANG"
    dinas: str = "DINAS KOMUNIKASI DAN INFORMATIKA"
    alamat: str = "Jl. Rasakunda No. 1, Kompleks Perkantoran Walikota, Kota Pangkalpinang 33129"
    kontak: str = "Laman: diskominfo.pangkalpinangkota.go.id  •  Pos-el: diskominfo@pangkalpinangkota.go.id"
    author: str = "Dinas Komunikasi dan Informatika Kota Pangkalpinang"
    """The PDF's author."""


@dataclass(frozen=True, slots=True)
class Party:
    """A signature block: role line, name and NIP (already formatted)."""

    label: str
    """E.g. 'PIHAK PERTAMA'."""
    jabatan: str
    unit: str
    name: str
    nip: str


@dataclass(frozen=True, slots=True)
class Field:
    """A label : value line."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Table:
    """A table: header row and body rows of text; ``marks`` flags rows to highlight (e.g. breaches)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    marks: tuple[bool, ...] = ()
    caption: str = ""
    numbered: bool = True
    """A leading 'No' column."""
    mono: tuple[int, ...] = ()
    """Columns of hashes and paths: monospace, broken anywhere."""


@dataclass(frozen=True, slots=True)
class Chart:
    """An inline SVG chart (markup made by :mod:`sipelangi_net.documents.charts`)."""

    title: str
    svg: str


@dataclass(frozen=True, slots=True)
class Section:
    """A numbered section: paragraphs, list items, label/value lines, charts and tables, in that order."""

    title: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    """A lettered list (a., b., ...) after the paragraphs."""
    fields: tuple[Field, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """One official document, ready to render."""

    kind: Kind
    title: str
    subtitle: str
    number: str
    date: str
    """The signing date, e.g. '30 November 2026'."""
    place: str
    slug: str
    """File name stem, e.g. 'berita-acara-SPL-2026-00001'."""
    folder: str
    """Folder under reports/, e.g. 'SPL-2026-00001' or 'intra/2026-11'."""
    opening: str = ""
    preamble: tuple[str, ...] = ()
    """Paragraphs between the opening (and the parties, in a berita acara) and the sections."""
    sections: tuple[Section, ...] = ()
    closing: str = ""
    parties: tuple[Party, ...] = ()
    footer: str = ""
    kop: Kop = field(default_factory=Kop)
    facts: dict[str, str] = field(default_factory=dict)
    """Key figures for scripts and tests (ticket, number, verdict...)."""
