"""The command examples of README.md and docs/*.md, with their file and line (the docs that run).

An *example* is a ``sipelangi-net ...`` command (the program as ``sipelangi-net`` or a path ending in
``/sipelangi-net``, after ``VAR=value`` words, in any segment of a ``|``, ``&&``, ``||`` or ``;``
list) found:

- in a fenced code block (any language but the data ones: json, yaml, python): one per logical
  line, a line ending in ``\\`` or followed by deeper-indented lines that are not comments being
  continued by them; a trailing ``# comment`` is not part of it;
- in an inline code span of the prose that starts with ``sipelangi-net `` (or ``$ sipelangi-net``).

Examples may be synopses: ``[...]`` an optional part, ``a|b`` inside it alternatives, ``...``
more of the same, ``DIR``, ``ISO-TIME`` or ``<ticket>`` placeholders. :func:`variants` expands a
synopsis into the command lines it stands for (nothing optional; everything optional, one
alternative at a time); a variant without placeholders is *concrete*.

A fenced block holding examples carries a marker, an HTML comment ending on the line right before
its fence (``tests/unit/test_docs_examples.py`` fails a block without one)::

    <!-- examples: lab -->                      run every example of the block on the lab, in order
    <!-- examples: not run: REASON -->          none of them (REASON: why, and which test covers it)
    <!-- examples: lab
         not run deploy, bwtest: REASON        ... but not the examples of these commands
         exit 8 compliance: REASON             ... and this command's documented exit status here
    -->
    <!-- examples: output -->                   (on a block without examples) what the last example
                                                of the block right above it prints: each line, in
                                                order, is a line of its output (spaces collapsed;
                                                a ``...`` line: any lines)

One clause a line (a reason may hold ``;`` and ``:``). Inline spans are checked against the CLI (command,
options, parse) but never run: they are prose, often synopses (docs/architecture.md).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = "sipelangi-net"
DATA_LANGUAGES = frozenset({"json", "yaml", "yml", "python", "toml", "html", "jinja"})
OPERATORS = frozenset({"|", "||", "&&", ";"})
PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*|<[^>]+>|\.\.\.)$")
"""``DIR``, ``ISO-TIME``, ``X``, ``<ticket>``, ``...``; not ``SPL-2026-00001`` (a ticket id)."""

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<lang>[^`\s]*)")
MARKER = re.compile(r"<!--\s*examples:(?P<body>.*?)-->\s*$", re.S)
INLINE = re.compile(r"(?<!`)(`+)(?!`)(?P<code>.+?)(?<!`)\1(?!`)")


class DocsError(ValueError):
    """A docs file the extractor cannot read: names the file and line."""


@dataclass(frozen=True, slots=True)
class Skip:
    """``not run COMMAND[, COMMAND]: REASON`` inside a lab marker."""

    commands: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Marker:
    """The ``<!-- examples: ... -->`` comment of a block."""

    line: int
    lab: bool
    output: bool = False
    """``output``: the block shows what the example right above it prints (checked on the lab)."""
    reason: str = ""
    """Why the block is not run (``not run: REASON``); empty for ``lab``."""
    skips: tuple[Skip, ...] = ()
    exits: tuple[tuple[str, int, str], ...] = ()
    """``exit N COMMAND: REASON``: (command, status, reason)."""
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Example:
    """One ``sipelangi-net`` command of the docs."""

    file: str
    """Relative to the project root: ``README.md``, ``docs/faults.md``."""
    line: int
    shell: str
    """The whole logical line as a shell would run it (comment removed, continuations joined)."""
    words: tuple[str, ...]
    """The words after the program (shell quoting removed; synopsis brackets kept)."""
    inline: bool = False
    block: int = 0
    """The line of the fence of its block (0: an inline span)."""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}: {self.shell}"


@dataclass(frozen=True, slots=True)
class Block:
    """A fenced code block holding examples."""

    file: str
    line: int
    lang: str
    marker: Marker | None
    examples: tuple[Example, ...] = field(default=())
    output: tuple[str, ...] = ()
    """An ``output`` block's lines (it has no examples)."""


@dataclass(frozen=True, slots=True)
class Docs:
    blocks: tuple[Block, ...]
    inline: tuple[Example, ...]

    @property
    def examples(self) -> tuple[Example, ...]:
        return tuple(e for b in self.blocks for e in b.examples) + self.inline


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md, then docs/*.md by name: the order the lab runs their examples in."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def load(root: Path = ROOT) -> Docs:
    blocks: list[Block] = []
    inline: list[Example] = []
    for path in doc_files(root):
        file_blocks, file_inline = read_file(path.relative_to(root).as_posix(), path.read_text("utf-8"))
        blocks += file_blocks
        inline += file_inline
    return Docs(tuple(blocks), tuple(inline))


def read_file(name: str, text: str) -> tuple[list[Block], list[Example]]:
    """The blocks with examples and the inline examples of one Markdown file."""
    lines = text.splitlines()
    blocks: list[Block] = []
    inline: list[Example] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            inline += inline_examples(name, i + 1, lines[i])
            i += 1
            continue
        end = _closing(lines, i, opening.group("fence"))
        lang = opening.group("lang").lower()
        body = lines[i + 1 : end]
        marker = marker_before(lines, i)
        if marker is not None and marker.output:
            blocks.append(Block(name, i + 1, lang, marker, output=tuple(body)))
        elif lang not in DATA_LANGUAGES:
            examples = block_examples(name, i + 1, body)
            if examples:
                blocks.append(Block(name, i + 1, lang, marker, tuple(examples)))
        i = end + 1
    return blocks, inline


def _closing(lines: list[str], start: int, fence: str) -> int:
    for j in range(start + 1, len(lines)):
        if lines[j].strip().startswith(fence[0] * len(fence)) and not lines[j].strip().strip(fence[0]):
            return j
    return len(lines)


def marker_before(lines: list[str], fence: int) -> Marker | None:
    """The ``<!-- examples: ... -->`` comment ending on the line right before the fence."""
    if fence == 0 or not lines[fence - 1].rstrip().endswith("-->"):
        return None
    start = fence - 1
    while start >= 0 and "<!--" not in lines[start]:
        start -= 1
    found = MARKER.search("\n".join(lines[max(start, 0) : fence]))
    return parse_marker(start + 1, found.group("body")) if found else None


def parse_marker(line: int, body: str) -> Marker:
    clauses = [c.strip() for c in body.splitlines() if c.strip()]
    head, rest = (clauses[0], clauses[1:]) if clauses else ("", [])
    if head.startswith("not run:"):
        reason = head.removeprefix("not run:").strip()
        errors = [] if reason else ["'not run:' without a reason"]
        errors += [f"a 'not run' block takes no further clause: {c!r}" for c in rest]
        return Marker(line, lab=False, reason=reason, errors=tuple(errors))
    if head == "output":
        errors = [f"an 'output' block takes no further clause: {c!r}" for c in rest]
        return Marker(line, lab=False, output=True, errors=tuple(errors))
    if head != "lab":
        return Marker(
            line, lab=False, errors=(f"unknown marker {head!r}: 'lab', 'not run: REASON' or 'output'",)
        )
    skips: list[Skip] = []
    exits: list[tuple[str, int, str]] = []
    errors = []
    for clause in rest:
        skip = re.fullmatch(r"not run (?P<cmds>[^:]+):\s*(?P<reason>.+)", clause)
        status = re.fullmatch(r"exit (?P<code>\d+) (?P<cmd>[^:]+):\s*(?P<reason>.+)", clause)
        if skip:
            cmds = tuple(c.strip() for c in skip.group("cmds").split(",") if c.strip())
            skips.append(Skip(cmds, skip.group("reason").strip()))
        elif status:
            exits.append((status.group("cmd").strip(), int(status.group("code")), status.group("reason")))
        else:
            errors.append(f"unknown clause {clause!r}: 'not run CMD[, CMD]: REASON' or 'exit N CMD: REASON'")
    return Marker(line, lab=True, skips=tuple(skips), exits=tuple(exits), errors=tuple(errors))


def logical_lines(body: list[str]) -> list[tuple[int, str]]:
    """(offset in the block, text) of each logical line: ``\\`` and deeper-indented continuations."""
    out: list[tuple[int, str]] = []
    indent = 0
    joining = False
    for k, raw in enumerate(body):
        stripped = raw.strip()
        depth = len(raw) - len(raw.lstrip())
        deeper = bool(out) and bool(stripped) and depth > indent and not stripped.startswith("#")
        if out and (joining or deeper):
            at, text = out[-1]
            out[-1] = (at, f"{text} {_code(stripped).removesuffix(chr(92)).strip()}")
        elif stripped:
            out.append((k, _code(stripped).removesuffix("\\").strip()))
            indent = depth
        joining = stripped.endswith("\\")
    return out


def _code(line: str) -> str:
    """The line without its trailing ``# comment`` (shell rules: quotes respected)."""
    cut = _comment_start(line)
    return line[:cut].rstrip() if cut is not None else line


def _comment_start(line: str) -> int | None:
    quote = ""
    for k, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or line[k - 1].isspace()):
            return k
    return None


def block_examples(name: str, fence_line: int, body: list[str]) -> list[Example]:
    examples: list[Example] = []
    for offset, text in logical_lines(body):
        line = fence_line + 1 + offset
        examples += [
            Example(name, line, text, words, block=fence_line) for words in commands_of(name, line, text)
        ]
    return examples


def inline_examples(name: str, line: int, text: str) -> list[Example]:
    found = []
    for span in INLINE.finditer(text):
        code = span.group("code").strip().removeprefix("$ ")
        if code.startswith(f"{PROGRAM} "):
            found += [
                Example(name, line, code, words, inline=True) for words in commands_of(name, line, code)
            ]
    return found


def commands_of(name: str, line: int, text: str) -> list[tuple[str, ...]]:
    """The words after ``sipelangi-net`` of each of its commands in a shell line."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError as exc:
        raise DocsError(f"{name}:{line}: cannot split {text!r} as a shell would: {exc}") from None
    segments: list[list[str]] = [[]]
    for word in words:
        if word in OPERATORS:
            segments.append([])
        else:
            segments[-1].append(word)
    found = []
    for segment in segments:
        rest = [w for w in segment if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", w)] if segment else []
        if rest and (rest[0] == PROGRAM or rest[0].endswith(f"/{PROGRAM}")):
            found.append(tuple(rest[1:]))
    return found


def starts_with(example: Example, command: str) -> bool:
    """Whether the example's words begin with a marker clause's command (``lab exec pc-dinkes``)."""
    return example.words[: len(command.split())] == tuple(command.split())


def not_run(block: Block, example: Example) -> str | None:
    """Why the lab does not run this example (None: it does); a block without a marker is never run."""
    marker = block.marker
    if marker is None:
        return "no marker"
    if not marker.lab:
        return marker.reason
    return next((s.reason for s in marker.skips for c in s.commands if starts_with(example, c)), None)


def expected_exit(block: Block, example: Example) -> int:
    """The exit status the docs promise for this example on the lab: 0 unless an ``exit`` clause says."""
    exits = block.marker.exits if block.marker else ()
    return next((code for command, code, _ in exits if starts_with(example, command)), 0)


def output_of(docs: Docs, block: Block) -> Example | None:
    """The example an ``output`` block shows: the last of the block with examples right above it."""
    above = [b for b in docs.blocks if b.file == block.file and b.line < block.line]
    return above[-1].examples[-1] if above and above[-1].examples else None


def output_missing(shown: tuple[str, ...], printed: str) -> str | None:
    """The first line the docs show that the output lacks (in order; a ``...`` line: any lines)."""
    lines = [" ".join(line.split()) for line in printed.splitlines()]
    at = 0
    for want in (" ".join(line.split()) for line in shown):
        if not want or want == "...":
            continue
        found = next((k for k in range(at, len(lines)) if lines[k] == want), None)
        if found is None:
            return want
        at = found + 1
    return None


# -- synopses ----------------------------------------------------------------------------------------

Item = str | list[list["Item"]]
"""A word, or an optional group: its alternatives, each a sequence of items."""


def synopsis(words: tuple[str, ...]) -> list[Item]:
    """The words as a tree of optional groups (``[a|b c]``); the words after ``--`` stay as they are."""
    root: list[Item] = []
    stack: list[list[list[Item]]] = []
    current = root
    for k, word in enumerate(words):
        if word == "--":
            current.extend(words[k:])
            break
        for symbol in _symbols(word, inside=bool(stack)):
            if symbol == "[":
                group: list[list[Item]] = [[]]
                current.append(group)
                stack.append(group)
                current = group[-1]
            elif symbol == "]" and stack:
                stack.pop()
                current = stack[-1][-1] if stack else root
            elif symbol == "|" and stack:
                stack[-1].append([])
                current = stack[-1][-1]
            else:
                current.append(symbol)
    return root


def _symbols(word: str, *, inside: bool) -> list[str]:
    opened = len(word) - len(word.lstrip("["))
    closed = len(word) - len(word.rstrip("]")) if word.rstrip("]") else 0
    core = word[opened : len(word) - closed]
    if not core:
        return list(word)
    parts = core.split("|") if (inside or opened) and "|" in core else [core]
    middle: list[str] = []
    for k, part in enumerate(parts):
        middle += ["|", part] if k else [part]
    return ["["] * opened + middle + ["]"] * closed


def variants(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The command lines a synopsis stands for: nothing optional, then everything with each alternative."""
    tree = synopsis(words)
    widest = _widest(tree)
    out = [tuple(_flatten(tree, None))]
    out += [tuple(_flatten(tree, k)) for k in range(max(widest, 1))]
    return list(dict.fromkeys(out))


def _widest(items: list[Item]) -> int:
    widths = [max(len(i), *(_widest(alt) for alt in i)) for i in items if isinstance(i, list)]
    return max(widths, default=0)


def _flatten(items: list[Item], pick: int | None) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif pick is not None:
            out += _flatten(item[min(pick, len(item) - 1)], pick)
    return out


def concrete(words: tuple[str, ...]) -> bool:
    """No placeholder before ``--`` (after it: the command run in a lab node, not ours)."""
    before = words[: words.index("--")] if "--" in words else words
    return not any(PLACEHOLDER.match(w) for w in before)


# -- the real CLI ----------------------------------------------------------------------------------


def cli_error(words: tuple[str, ...], *, strict: bool) -> str | None:
    """Why the CLI would refuse these words (None: it would not), without running any command.

    Each command of the path is parsed with click's ``make_context`` as ``Group.invoke`` does
    before it calls a command: the path must exist and every option must be one of its command's.
    ``strict``: also the values (types, choices, required options and arguments, extra
    arguments), as a run would; else (a synopsis, a span of prose) only the names: an unknown
    command or option, an option without its value (click's resilient parsing would let an unknown
    option through). Files are never opened here: the commands take paths and open them when
    they run.
    """
    import typer
    import typer.core
    import typer.main

    from sipelangi_net.cli.main import app

    # typer (0.22+) carries its own click: its commands, contexts and exceptions, typer's public names
    command: Any = typer.main.get_command(app)
    name: str | None = PROGRAM
    args, parent = list(words), None
    try:
        while True:
            ctx = command.make_context(name, args, parent=parent)
            if not isinstance(command, typer.core.TyperGroup):
                return None
            rest = [*ctx._protected_args, *ctx.args]  # what TyperGroup.invoke hands on to the subcommand
            if not rest:
                return None if command.invoke_without_command or not strict else "a command is missing"
            if not strict and PLACEHOLDER.match(rest[0]):
                return None  # ``--workspace DIR COMMAND ...``: checked as far as it names
            sub_name, sub, args = command.resolve_command(ctx, rest)
            name, command, parent = sub_name, sub, ctx
    except typer.Exit as exc:
        return None if exc.exit_code == 0 else f"exits {exc.exit_code}"
    except typer.TyperException as exc:
        if not strict and _about_values(exc):
            return None
        return exc.format_message() or f"{type(exc).__name__}: it prints its help and exits {exc.exit_code}"


def _about_values(exc: Exception) -> bool:
    """A synopsis' refusal for its placeholders or parts left out: a value's type, a missing value
    or argument, ``...`` as extra arguments, a group named alone (it prints its help). Never an
    unknown command or option, nor an option without its value: click finds those first."""
    import typer

    name = type(exc).__name__
    extra = str(exc).startswith("Got unexpected extra argument")
    return isinstance(exc, typer.BadParameter) or name == "NoArgsIsHelpError" or extra
