"""Every ``sipelangi-net`` example of README.md and docs/*.md names a real command and real options.

Checked against the real CLI app with click's own parsing (tests/docs_examples.py), without running
anything: a renamed command or option, a changed argument or value breaks this test, not a user.
Every fenced block with examples is either run on the lab (tests/lab/test_docs_examples_lab.py)
or says why not.
"""

from __future__ import annotations

import pytest

from tests.docs_examples import (
    Block,
    Docs,
    Example,
    Marker,
    cli_error,
    concrete,
    load,
    not_run,
    output_missing,
    output_of,
    parse_marker,
    read_file,
    starts_with,
    variants,
)

DOCS = load()


def _id(example: Example) -> str:
    return f"{example.file}:{example.line}:{' '.join(example.words)[:40]}"


def _block_id(block: Block) -> str:
    return f"{block.file}:{block.line}"


def test_the_docs_have_examples_in_blocks_and_in_prose() -> None:
    """The extractor finds them (a broken extractor would make every other test here pass)."""
    assert len([e for e in DOCS.examples if not e.inline]) >= 70
    assert len(DOCS.inline) >= 30
    assert {e.file for e in DOCS.examples} >= {"README.md", "docs/faults.md", "docs/tickets.md"}


@pytest.mark.parametrize("example", DOCS.examples, ids=_id)
def test_each_example_names_a_command_and_its_options(example: Example) -> None:
    """Every form of a synopsis (nothing optional; everything, each alternative) names real ones."""
    for words in variants(example.words):
        error = cli_error(words, strict=False)
        assert error is None, f"{example.where}\n  as `sipelangi-net {' '.join(words)}`: {error}"


@pytest.mark.parametrize("example", [e for e in DOCS.examples if not e.inline], ids=_id)
def test_each_concrete_example_parses_as_a_run_would(example: Example) -> None:
    """Values too: types, choices, required options and arguments, nothing extra."""
    for words in variants(example.words):
        if concrete(words):
            error = cli_error(words, strict=True)
            assert error is None, f"{example.where}\n  as `sipelangi-net {' '.join(words)}`: {error}"


@pytest.mark.parametrize("block", DOCS.blocks, ids=_block_id)
def test_each_block_is_run_on_the_lab_or_says_why_not(block: Block) -> None:
    where = f"{block.file}:{block.line}"
    hint = "put <!-- examples: lab --> or <!-- examples: not run: REASON --> on the line before its fence"
    assert block.marker is not None, f"{where}: a block with sipelangi-net commands and no marker; {hint}"
    assert not block.marker.errors, f"{where}: marker: {'; '.join(block.marker.errors)}"
    for clause in [
        *(c for s in block.marker.skips for c in s.commands),
        *(c for c, _, _ in block.marker.exits),
    ]:
        matched = [e for e in block.examples if starts_with(e, clause)]
        assert matched, f"{where}: marker clause {clause!r} matches no example of the block"


@pytest.mark.parametrize("block", [b for b in DOCS.blocks if b.marker and b.marker.lab], ids=_block_id)
def test_what_the_lab_runs_is_concrete(block: Block) -> None:
    """The lab runs an example as written, its optional parts left out: nothing there to fill in."""
    for example in block.examples:
        if not_run(block, example) is None:
            words = variants(example.words)[0]
            assert concrete(words), f"{example.where}: a placeholder; name it in a 'not run' clause"


@pytest.mark.parametrize("block", [b for b in DOCS.blocks if b.marker and b.marker.output], ids=_block_id)
def test_each_output_block_shows_an_example_the_lab_runs(block: Block) -> None:
    owner = output_of(DOCS, block)
    where = f"{block.file}:{block.line}"
    assert owner is not None, f"{where}: an output block with no block of examples right above it"
    [owner_block] = [b for b in DOCS.blocks if b.file == owner.file and b.line == owner.block]
    assert not_run(owner_block, owner) is None, (
        f"{where}: shows the output of {owner.where}, which the lab does not run"
    )
    assert [line for line in block.output if line.strip() not in ("", "...")], f"{where}: shows nothing"


def test_shown_output_is_found_line_by_line_in_order() -> None:
    printed = "a  b\nnoise\nc\nd\n"
    assert output_missing(("a b", "...", "d"), printed) is None
    assert output_missing(("a b", "c"), printed) is None
    assert output_missing(("c", "a b"), printed) == "a b"
    assert output_missing(("a",), printed) == "a"


# -- the extractor -----------------------------------------------------------------------------------

SAMPLE = """\
Prose with `sipelangi-net fault list --open` and `sipelangi-net-monitor.service` and `ls`.

<!-- examples: lab
     not run deploy: it changes the devices; tests/lab/test_deploy_lab.py
     exit 8 compliance: drift
-->
```sh
sipelangi-net ticket show SPL-2026-00001   # a comment, with a `span`
sipelangi-net ticket defer SPL-2026-00001 --actor "A. B, M.Si." \\
    --note "x # y"
printf '%s\\n' "$PW" | .venv/bin/sipelangi-net user add rina --password-stdin
sipelangi-net provision SPL-2026-00001 --handover h.yaml [--yes] [--open|--closed]
        [--photo F ...]
                                # a comment continuing the one above
./dev.sh demo
```

```json
{"sipelangi-net": "not an example"}
```
"""


def test_the_extractor_reads_blocks_continuations_pipes_and_spans() -> None:
    blocks, inline = read_file("x.md", SAMPLE)
    assert [e.words for e in inline] == [("fault", "list", "--open")]
    assert inline[0].line == 1
    [block] = blocks
    assert (block.line, block.lang) == (7, "sh")
    assert [(e.line, e.words) for e in block.examples] == [
        (8, ("ticket", "show", "SPL-2026-00001")),
        (9, ("ticket", "defer", "SPL-2026-00001", "--actor", "A. B, M.Si.", "--note", "x # y")),
        (11, ("user", "add", "rina", "--password-stdin")),
        (
            12,
            (
                "provision",
                "SPL-2026-00001",
                "--handover",
                "h.yaml",
                "[--yes]",
                "[--open|--closed]",
                "[--photo",
                "F",
                "...]",
            ),
        ),
    ]
    assert (
        block.examples[2].shell
        == "printf '%s\\n' \"$PW\" | .venv/bin/sipelangi-net user add rina --password-stdin"
    )
    marker = block.marker
    assert marker is not None and (marker.line, marker.lab, marker.errors) == (3, True, ())
    assert marker.exits == (("compliance", 8, "drift"),)
    assert [(s.commands, s.reason) for s in marker.skips] == [
        (("deploy",), "it changes the devices; tests/lab/test_deploy_lab.py")
    ]


def test_a_synopsis_stands_for_its_shortest_and_its_longest_forms() -> None:
    words = ("fault", "list", "[--open|--closed]", "[--opd", "dinkes]", "[--json]")
    assert variants(words) == [
        ("fault", "list"),
        ("fault", "list", "--open", "--opd", "dinkes", "--json"),
        ("fault", "list", "--closed", "--opd", "dinkes", "--json"),
    ]
    assert variants(("lab", "exec", "pc", "--", "[", "x", "]")) == [
        ("lab", "exec", "pc", "--", "[", "x", "]")
    ]
    assert not concrete(("schedule", "TICKET")) and not concrete(("diff", "<ticket>"))
    assert concrete(("ticket", "show", "SPL-2026-00001")) and concrete(("lab", "exec", "pc", "--", "ls", "X"))


def test_an_output_block_belongs_to_the_last_example_above_it() -> None:
    text = "<!-- examples: lab -->\n```sh\nsipelangi-net lab status\nsipelangi-net doctor\n```\n\n"
    text += "<!-- examples: output -->\n```text\nok\n```\n"
    blocks, _ = read_file("x.md", text)
    assert [b.output for b in blocks] == [(), ("ok",)]
    owner = output_of(Docs(tuple(blocks), ()), blocks[1])
    assert owner is not None and owner.words == ("doctor",)


def test_markers_without_a_reason_or_unknown_are_errors() -> None:
    assert parse_marker(1, " not run: ").errors
    assert parse_marker(1, " run ").errors
    assert parse_marker(1, " lab; skip deploy ").errors
    assert parse_marker(1, " not run: a server; tests/x.py ") == Marker(
        1, lab=False, reason="a server; tests/x.py"
    )
    assert parse_marker(1, " lab ") == Marker(1, lab=True)


@pytest.mark.parametrize(
    ("words", "strict", "message"),
    [
        (("fault", "list", "--opened"), False, "No such option: --opened"),
        (("tiket", "show"), False, "No such command 'tiket'"),
        (("ticket", "sla", "--since"), False, "requires an argument"),
        (("user", "token-revoke", "budi", "three"), True, "valid integer"),
        (("fault", "show"), True, "Missing argument"),
        (("diff", "SPL-2026-00001", "extra"), True, "unexpected extra argument"),
        (("ticket",), True, "help"),
    ],
)
def test_the_cli_check_refuses_what_the_cli_refuses(
    words: tuple[str, ...], strict: bool, message: str
) -> None:
    error = cli_error(words, strict=strict)
    assert error is not None and message in error


def test_the_cli_check_accepts_what_the_cli_accepts_without_running_it() -> None:
    """No file is opened, no store, no device: the command is parsed, never invoked."""
    assert cli_error(("ticket", "new", "--file", "/nonexistent/permohonan.yaml"), strict=True) is None
    assert cli_error(("compliance", "--json"), strict=True) is None  # a group that runs without a subcommand
    assert cli_error(("lab", "exec", "pc-dinkes", "--", "ping", "-c1", "10.10.10.10"), strict=True) is None
