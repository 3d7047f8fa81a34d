"""The signed request letters (Surat Permohonan) uploaded with the form: checked, then kept by hash.

A letter is a PDF (it begins with ``%PDF-``) of at most :data:`MAX_LETTER_BYTES`. It is stored as
``<folder>/<sha256>.pdf`` (mode 0600, folder 0700) in a folder outside anything the server serves
as files; the ticket keeps the hash (``request.letter.scan_sha256``), and a page hands the file
out only to whoever may see the ticket.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from sipelangi_net.private import BINARY

MAX_LETTER_BYTES = 5 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class LetterRefused(ValueError):
    """The upload is not a letter the pages keep (the message is for the pemohon, in Indonesian)."""


def check_letter(data: bytes) -> str:
    """The SHA-256 of an acceptable letter; LetterRefused (in Indonesian) when it is not one."""
    if not data:
        raise LetterRefused("Unggah surat permohonan yang sudah ditandatangani (berkas PDF).")
    if len(data) > MAX_LETTER_BYTES:
        raise LetterRefused(
            f"Berkas surat terlalu besar ({len(data) // 1024} KiB); paling besar"
            f" {MAX_LETTER_BYTES // (1024 * 1024)} MiB."
        )
    if not data.startswith(PDF_MAGIC):
        raise LetterRefused("Berkas surat bukan PDF; unggah hasil pindaian surat dalam format PDF.")
    return hashlib.sha256(data).hexdigest()


def keep_letter(folder: Path, data: bytes) -> str:
    """Check ``data`` and store it in ``folder`` under its hash (once); its SHA-256."""
    digest = check_letter(data)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"{digest}.pdf"
    if not target.exists():
        partial = folder / f".{digest}.{os.getpid()}.part"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | BINARY, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        partial.replace(target)
    return digest


def letter_path(folder: Path, digest: str) -> Path | None:
    """The stored letter of ``digest`` (``None``: not a digest, or no such file)."""
    if not _DIGEST.match(digest):
        return None
    path = folder / f"{digest}.pdf"
    return path if path.is_file() else None
