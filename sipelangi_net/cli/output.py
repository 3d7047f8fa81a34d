"""Everything the CLI shows on the terminal: user values are data, never markup or control sequences.

A value from a ticket, the inventory, a device, a file or the user may hold Rich
markup (``[/]``, ``[link=...]``) or terminal control sequences (ESC, OSC 8 links,
bidi overrides). This module is the only place that writes to the terminal, and it
writes every value as text:

- :func:`say` prints one line of plain text, each unsafe character shown escaped
  (``validate.printable``); nothing in it is interpreted.
- :func:`styled` is a piece of the CLI's own styling (bold, red) around a value;
  :func:`line` prints plain parts and styled parts as one line.
- :func:`table` builds a Rich table whose title is data, :func:`add_row` adds
  cells as data (``Text``, never markup); :func:`show_table` prints it.
- :func:`json_text` / :func:`say_json` is the ``--json`` output: unsafe characters
  are ``\\uXXXX`` escapes, so even a raw ``cat`` of it cannot drive the terminal.

The console has markup, emoji codes and highlighting switched off, so a plain
``str`` handed to it is shown as written. ``tests/unit/test_terminal_output.py``
fails when a module prints any other way.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sipelangi_net.validate import FORBIDDEN_CATEGORIES, printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "add_row",
    "joined",
    "json_text",
    "line",
    "say",
    "say_json",
    "say_lines",
    "show_table",
    "styled",
    "table",
    "text",
]

_NOT_PLAIN = re.compile(r"[^\x20-\x7e\n]")  # JSON's own newlines (indent) are the only controls kept


def text(value: object, style: str = "") -> Text:
    """``value`` as a Rich ``Text``: its characters exactly, unsafe ones escaped, no markup."""
    from rich.text import Text

    return Text(printable(str(value)), style=style)


def styled(value: object, style: str) -> Text:
    """A piece of the CLI's own styling (``"bold"``, ``"red"``) around a value shown as text."""
    return text(value, style)


def _console(*, err: bool = False) -> Console:
    """A console that never reads markup, emoji codes or highlights in what it is given."""
    from rich.console import Console

    return Console(stderr=err, markup=False, emoji=False, highlight=False)


def say(*parts: object, err: bool = False) -> None:
    """Print one line of plain text (parts joined without a separator), unsafe characters escaped."""
    stream = sys.stderr if err else sys.stdout
    print(printable("".join(str(p) for p in parts)), file=stream, flush=err)


def say_lines(lines: Iterable[str], *, err: bool = False) -> None:
    """Print each of ``lines`` with :func:`say`."""
    for item in lines:
        say(item, err=err)


def joined(*parts: object) -> Text:
    """Plain and :func:`styled` parts as one ``Text`` (a table cell, a line)."""
    from rich.text import Text

    out = Text()
    for p in parts:
        out.append_text(p if isinstance(p, Text) else text(p))
    return out


def line(*parts: object, err: bool = False) -> None:
    """Print one line of plain and :func:`styled` parts through Rich (styles only where the CLI put them)."""
    _console(err=err).print(joined(*parts), soft_wrap=True)


def table(title: object = "", columns: Iterable[str] = ()) -> Table:
    """A Rich table whose title is data; add rows with :func:`add_row`."""
    from rich.table import Table

    out = Table(title=text(title) if title != "" else None)
    for col in columns:
        out.add_column(text(col))
    return out


def add_row(tbl: Table, *cells: object) -> None:
    """Add one row: every cell is data (a :func:`styled` cell keeps its style)."""
    from rich.text import Text

    tbl.add_row(*(c if isinstance(c, Text) else text(c) for c in cells))


def show_table(tbl: Table, *, err: bool = False) -> None:
    """Print a table built with :func:`table` and :func:`add_row`."""
    _console(err=err).print(tbl)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if unicodedata.category(ch) not in FORBIDDEN_CATEGORIES:
        return ch
    code = ord(ch)
    if code > 0xFFFF:  # a JSON \u escape holds 16 bits: write the UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(value: Any, *, indent: int | None = 2, default: Any = None) -> str:
    """``value`` as JSON (UTF-8 text kept readable) with every unsafe character a ``\\uXXXX`` escape.

    Outside strings JSON text is plain ASCII, so escaping anywhere in the output is escaping in strings.
    """
    raw = json.dumps(value, indent=indent, ensure_ascii=False, default=default)
    return _NOT_PLAIN.sub(_escape, raw)


def say_json(
    value: Any, *, indent: int | None = 2, default: Any = None, err: bool = False, flush: bool = False
) -> None:
    """Print ``value`` as :func:`json_text` (``flush``: at once, for a long-lived command's lines)."""
    print(
        json_text(value, indent=indent, default=default), file=sys.stderr if err else sys.stdout, flush=flush
    )
