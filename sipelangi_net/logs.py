"""Logging set-up and the one secret scrubber used by logs, reports and tests."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_PATTERNS = [
    re.compile(r"(?i)\b(password|passwd|secret|token|community)(\s*[:=]\s*|\s+)(\S+)"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
]
_known: set[str] = set()
REDACTED = "********"


def register_secret(*values: str | None) -> None:
    """Make the scrubber hide these exact values wherever they appear."""
    _known.update(v for v in values if v and len(v) >= 4)


def scrub(text: str, extra: Iterable[str] = (), *, patterns: bool = True) -> str:
    """Return ``text`` with every known secret hidden, and (``patterns``) secret-looking values too.

    The toolkit's own error messages are scrubbed with ``patterns=False``: they
    name fields such as ``password`` but never carry values, and the keyword
    pattern would garble them.
    """
    for value in sorted({*_known, *extra}, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    if not patterns:
        return text
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _PATTERNS[1].sub(REDACTED, text)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


def configure(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter())
    root = logging.getLogger("sipelangi_net")
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries log failed tasks with tracebacks; the toolkit reports failures itself.
    for noisy in ("paramiko", "netmiko", "nornir"):
        other = logging.getLogger(noisy)
        other.handlers[:] = [handler]
        other.propagate = False
        other.setLevel(logging.DEBUG if verbosity >= 3 else logging.CRITICAL)
