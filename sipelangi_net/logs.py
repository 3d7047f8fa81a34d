"""Logging set-up and the one secret scrubber used by logs, reports, error lines and backups.

:func:`scrub` hides the registered secrets (credentials, tokens) by value and, with
``patterns``, every secret the per-platform config rules of :mod:`sipelangi_net.redact` know
(NAPALM's tables plus our own, run by netutils' ``sanitize_config``), so a config line echoed
in a log, an error or a report is hidden like it is in a backup.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sipelangi_net.redact import REDACTED, sanitize_any
from sipelangi_net.validate import printable

__all__ = ["REDACTED", "ScrubFilter", "configure", "register_secret", "scrub"]

_known: set[str] = set()


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
    return sanitize_any(text)


class ScrubFilter(logging.Filter):
    """Hide secrets and show control characters escaped.

    A multi-line message (a config at debug level) keeps its lines, each continuation
    indented, so no value can forge a record of its own.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "sipelangi_scrubbed", False):  # a record passes a logger's and a handler's filter
            return True
        record.sipelangi_scrubbed = True
        lines = scrub(record.getMessage()).split("\n")
        record.msg = "\n    ".join(printable(line) for line in lines)
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
