"""Files the documents keep under reports/<ticket>/: the signed scan and photos, checked and hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sipelangi_net.capped import read_capped
from sipelangi_net.documents.installation import Attachment
from sipelangi_net.errors import DocumentInputError
from sipelangi_net.private import private_dir, write_private
from sipelangi_net.validate import printable

MAX_BYTES = 50 * 1024 * 1024
MAGIC = {b"%PDF-": ".pdf", b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}


def _kind(path: Path, option: str, allowed: tuple[str, ...]) -> str:
    try:
        size = path.stat().st_size
        if not path.is_file():  # before opening: a FIFO would block, /dev/zero never ends
            raise DocumentInputError(f"{option} {printable(str(path))}: not a regular file")
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise DocumentInputError(
            f"{option} {printable(str(path))}: cannot read it ({exc.strerror})"
        ) from None
    if size == 0 or size > MAX_BYTES:
        raise DocumentInputError(f"{option} {printable(str(path))}: {size} bytes; expected 1 byte to 50 MiB")
    for magic, ext in MAGIC.items():
        if head.startswith(magic) and ext in allowed:
            return ext
    raise DocumentInputError(
        f"{option} {printable(str(path))}: not a {' / '.join(e.lstrip('.').upper() for e in allowed)} file"
    )


def keep(path: Path, folder: Path, stem: str, *, option: str, allowed: tuple[str, ...]) -> tuple[Path, str]:
    """Copy ``path`` to ``folder/<stem>-<sha12><ext>`` (atomically, 0600 in a 0700 folder: scans
    carry signatures and NIP); return the copy and its SHA-256."""
    ext = _kind(path, option, allowed)
    data = read_capped(path, limit=MAX_BYTES, error=DocumentInputError, what=option)
    digest = hashlib.sha256(data).hexdigest()
    private_dir(folder)
    target = folder / f"{stem}-{digest[:12]}{ext}"
    if not target.exists():
        write_private(target, data)
    return target, digest


def keep_scan(scan: Path, reports: Path, ticket_id: str) -> tuple[Path, str]:
    """The signed berita acara scan (PDF, JPEG or PNG), kept as reports/<ticket>/...-ttd-<sha12>.<ext>."""
    return keep(
        scan,
        private_dir(reports / ticket_id),
        f"berita-acara-{ticket_id}-ttd",
        option="--scan",
        allowed=(".pdf", ".jpg", ".png"),
    )


def keep_photos(photos: tuple[Path, ...], reports: Path, ticket_id: str) -> tuple[Attachment, ...]:
    """Photos of the work (JPEG or PNG), kept under reports/<ticket>/dokumentasi/."""
    out = []
    private_dir(reports / ticket_id)
    for i, photo in enumerate(photos, start=1):
        target, digest = keep(
            photo,
            reports / ticket_id / "dokumentasi",
            f"foto-{i}",
            option="--photo",
            allowed=(".jpg", ".png"),
        )
        out.append(Attachment(f"Foto dokumentasi {i}", str(target), digest))
    return tuple(out)
