"""The docs run: every example of a block marked ``<!-- examples: lab -->`` (README.md, then docs/*.md
by name, in document order) runs as written, in bash, against the session's lab, and exits as the
docs promise (0 unless the marker's ``exit N COMMAND`` clause says), printing the lines of the
``<!-- examples: output -->`` block that shows its output, if any.

The checkout is the workspace (SIPELANGI_WORKSPACE: the lab's inventory); the run's own ticket
store, reports, backups, locks and audit key are in a temporary folder, which is also the working
directory, holding the input files the examples name (``permohonan.yaml``: the project's sample
request, tests/unit/ticket_data.py; ``playbooks/``). The ticket and fault numbers of the docs
(``SPL-2026-00001``, ``GGN-00042``) stand for those the run creates, in order: the first number of
a kind the docs name is the first one of that kind the run's output shows, and so on, so the year
of a ticket number is the clock's. Nothing here changes a device: the examples that do (deploy,
provision, bwtest, ...) are marked ``not run`` with the test that runs them.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.docs_examples import (
    PROGRAM,
    ROOT,
    Block,
    Example,
    expected_exit,
    load,
    not_run,
    output_missing,
    output_of,
    variants,
)
from tests.lab.conftest import REQUEST

NUMBER = re.compile(r"\b(?:SPL-\d{4}-\d{5}|GGN-\d{5})\b")
PASSWORD = "docs-examples-Sandi-2026"
"""``$PW`` of the examples that read a password on stdin."""


def _kind(number: str) -> str:
    return number.split("-", 1)[0]


@dataclass
class Numbers:
    """The docs' ticket and fault numbers mapped to the run's, in order of appearance."""

    mapped: dict[str, str]
    seen: list[str]

    def learn(self, output: str) -> None:
        for number in NUMBER.findall(output):
            if number not in self.seen:
                self.seen.append(number)

    def apply(self, shell: str, where: str) -> str:
        def real(match: re.Match[str]) -> str:
            docs = match.group(0)
            if docs not in self.mapped:
                taken = set(self.mapped.values())
                fresh = [n for n in self.seen if _kind(n) == _kind(docs) and n not in taken]
                assert fresh, f"{where}: names {docs}, but no {_kind(docs)} number was created before it"
                self.mapped[docs] = fresh[0]
            return self.mapped[docs]

        return NUMBER.sub(real, shell)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The working directory with the files the examples name."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "permohonan.yaml").write_text(yaml.safe_dump(REQUEST, allow_unicode=True), encoding="utf-8")
    (work / "playbooks").symlink_to(ROOT / "playbooks")
    return work


@pytest.fixture
def docs_env(tmp_path: Path, lab: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPELANGI_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PW=PASSWORD,
        SIPELANGI_DB=str(tmp_path / "tickets.db"),
        SIPELANGI_ACTOR="tim-kerja",
        SIPELANGI_REPORTS=str(tmp_path / "reports"),
        SIPELANGI_BACKUPS=str(tmp_path / "backups"),
        SIPELANGI_LOCKS=str(tmp_path / "locks"),
        SIPELANGI_AUDIT_KEY=str(tmp_path / "audit.key"),
        SIPELANGI_CHECKPOINTS=str(tmp_path / "checkpoints"),
        SIPELANGI_WORKSPACE=str(ROOT),  # the checkout's inventory (the lab's), templates and playbooks
    )
    return env


def as_run(example: Example) -> str:
    """The line as written; a synopsis as its shortest form (its optional parts left out)."""
    shortest = variants(example.words)[0]
    return example.shell if shortest == example.words else shlex.join([PROGRAM, *shortest])


def lab_examples() -> list[tuple[Block, Example]]:
    return [(b, e) for b in load().blocks for e in b.examples if not_run(b, e) is None]


def test_the_lab_examples_of_the_docs_run_as_documented(
    workdir: Path, docs_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = Numbers({}, [])
    failures: list[str] = []
    timings: list[str] = []
    started = time.monotonic()
    docs = load()
    examples = lab_examples()
    outputs: dict[tuple[str, int], list[Block]] = {}
    for shown in (b for b in docs.blocks if b.marker and b.marker.output):
        owner = output_of(docs, shown)
        assert owner is not None, f"{shown.file}:{shown.line}: an output block of no example"
        outputs.setdefault((owner.file, owner.line), []).append(shown)
    for block, example in examples:
        shell = numbers.apply(as_run(example), example.where)
        begun = time.monotonic()
        proc = subprocess.run(
            ["bash", "-c", shell],
            check=False,
            cwd=workdir,
            env=docs_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        timings.append(f"{time.monotonic() - begun:5.1f} s  {example.file}:{example.line}: {shell}")
        numbers.learn(proc.stdout + proc.stderr)
        want = expected_exit(block, example)
        if proc.returncode != want:
            failures.append(
                f"{example.where}\n  ran: {shell}\n  exit {proc.returncode}, the docs promise {want}\n"
                f"  stderr: {proc.stderr[-1500:]}\n  stdout: {proc.stdout[-800:]}"
            )
        for shown in outputs.get((example.file, example.line), []):
            missing = output_missing(
                tuple(numbers.apply(line, example.where) for line in shown.output),
                f"{proc.stdout}\n{proc.stderr}",
            )
            if missing is not None:
                failures.append(
                    f"{shown.file}:{shown.line}: the output the docs show for {example.where}\n"
                    f"  lacks the line: {missing}\n  printed: {proc.stdout[-3000:]}"
                )
    with capsys.disabled():
        print(f"\n{len(examples)} docs examples on the lab in {time.monotonic() - started:.1f} s:")
        print("\n".join(timings))
    assert len(examples) >= 15, "the docs' lab blocks lost their examples"
    assert not failures, "\n\n".join(failures)
