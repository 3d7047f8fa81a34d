"""Write a document as HTML and PDF under reports/ (the I/O edge of the documents stage).

HTML comes from the Jinja templates in ``templates/documents/`` (autoescaped); the PDF is the
same HTML laid out by WeasyPrint (imported lazily: it is heavy).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sipelangi_net.documents.models import Document
from sipelangi_net.paths import reports_dir, template_dirs
from sipelangi_net.private import private_dir, write_private

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WrittenFile:
    path: Path
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {"path": str(self.path), "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class DocumentFiles:
    """The files of one document, with their hashes (what step 10 records)."""

    kind: str
    number: str
    html: WrittenFile
    pdf: WrittenFile

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "number": self.number,
            "html": self.html.to_json(),
            "pdf": self.pdf.to_json(),
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_intact(path: Path, sha256: str) -> bytes | None:
    """The bytes of the file at ``path`` when it is one and has the SHA-256 ``sha256``; else None.

    Read once and hashed from what was read, so what is served is what was checked (a path in a
    record is never trusted on its word)."""
    try:
        data = path.read_bytes() if path.is_file() else None
    except OSError:
        return None
    return data if data is not None and hashlib.sha256(data).hexdigest() == sha256 else None


def _environment(folders: list[Path]) -> Environment:
    env = Environment(
        loader=FileSystemLoader(folders),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["svg"] = Markup  # charts are built by documents.charts, which escapes every label
    return env


def render_html(doc: Document, *, templates: Path | None = None) -> str:
    """The document as one self-contained HTML page (pure given the templates)."""
    roots = (templates,) if templates is not None else template_dirs()
    env = _environment([root / "documents" for root in roots])
    return env.get_template(f"{doc.kind}.html.j2").render(doc=doc)


def html_to_pdf(html: str, *, base: Path) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: import only for a PDF

    pdf = HTML(string=html, base_url=str(base)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _write(path: Path, data: bytes) -> WrittenFile:
    write_private(path, data)  # names and NIP: 0600 in a 0700 folder, like the ticket database
    return WrittenFile(path, hashlib.sha256(data).hexdigest())


def write_document(doc: Document, *, out: Path | None = None, templates: Path | None = None) -> DocumentFiles:
    """Write ``<reports>/<doc.folder>/<doc.slug>.html`` and ``.pdf``; return their paths and SHA-256."""
    folder = private_dir((out or reports_dir()) / doc.folder)
    html = render_html(doc, templates=templates)
    html_file = _write(folder / f"{doc.slug}.html", html.encode("utf-8"))
    pdf_file = _write(folder / f"{doc.slug}.pdf", html_to_pdf(html, base=folder))
    log.info("%s: wrote %s and %s", doc.facts.get("ticket", doc.folder), html_file.path, pdf_file.path)
    return DocumentFiles(kind=doc.kind, number=doc.number, html=html_file, pdf=pdf_file)
