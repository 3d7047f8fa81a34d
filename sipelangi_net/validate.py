"""Checks on user-supplied text, shared by the inventory, tickets and templates.

A string that may reach a device CLI, a document or a log must be one line of
printable text: no control characters (CR, LF, NUL, ESC, C1), no Unicode
format characters (bidi overrides, zero-width joiners) and no line or
paragraph separators. A newline in an office name would be a CLI injection.
"""

from __future__ import annotations

import ipaddress
import unicodedata

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def unsafe_character(text: str) -> str | None:
    """The first forbidden character of ``text`` described for an error message, or ``None``."""
    if text.isascii() and text.isprintable():  # fast path: printable ASCII is always safe
        return None
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in FORBIDDEN_CATEGORIES:
            name = unicodedata.name(ch, "a control character")
            return f"U+{ord(ch):04X} ({name}) at position {i + 1}"
    return None


def refuse_unsafe(text: str, *, where: str = "") -> str:
    """The one entry check: ``text`` unchanged, or ``ValueError`` naming ``where`` and the character.

    Used for request fields (through :func:`safe_text`), command-line arguments, environment
    variables (``SIPELANGI_ACTOR``) and the actor of every step, whichever way it comes in.
    """
    bad = unsafe_character(text)
    if bad:
        raise ValueError(f"{where}: contains a forbidden character: {bad}" if where else
                         f"contains a forbidden character: {bad}")  # fmt: skip
    return text


def safe_text(text: str) -> str:
    """Pydantic ``AfterValidator``: refuse unsafe characters, strip surrounding blanks."""
    return refuse_unsafe(text).strip()


def printable(text: str) -> str:
    """``text`` with every unsafe character escaped, for echoing user input in messages."""
    if unsafe_character(text) is None:
        return text
    return "".join(
        ch if unicodedata.category(ch) not in FORBIDDEN_CATEGORIES else ch.encode("unicode_escape").decode()
        for ch in text
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1): where plain
    http may carry a password (the server, the HTTP store, the DHCP server's Control Agent)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
