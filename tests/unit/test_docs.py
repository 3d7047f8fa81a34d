"""The README never lies: its two opening commands are the ones CI and the Makefile-less entry point run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "README must open with a sh code block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands() -> None:
    assert readme_commands() == ["./dev.sh demo", "./dev.sh test"]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [ln for ln in ci.splitlines() if ln.strip() and not ln.startswith(("#", "set ", "cd "))]
    assert commands == ["exec ./dev.sh test"]


def test_dev_sh_knows_both_commands() -> None:
    script = (ROOT / "dev.sh").read_text(encoding="utf-8")
    assert "\n    demo)\n" in script and "\n    test)\n" in script
