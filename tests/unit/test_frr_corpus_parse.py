"""Every file of the public FRR corpus (tests/fixtures/corpus/frr/) is one the lab's FRR can load:
FRR's own parser (``vtysh -m``, FRR 8.4.4 as on the lab's Debian 12 routers) takes the file as
published, and the project reads the intended config bench/frr_corpus_lab.py builds from it (the
lab router's day-0 config with the file's routing parts: tests/lab/frr_corpus.py ``merged``)
through its own FRR normalisation (sipelangi_net.change.frr_text) without a line refused.

vtysh is a program the project needs for every FRR diff (sipelangi_net/programs.txt), so these
tests never skip: a machine without it fails them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sipelangi_net.change.frr_text import canonical_lines, mark
from sipelangi_net.errors import ConfigError
from sipelangi_net.platforms import Platform, spec_for
from tests.lab.frr_corpus import corpus_files, merged, sections

DAY0 = (
    Path(__file__).resolve().parents[1] / "fixtures" / "frr" / "facts_dist-gerunggang" / "running-config.txt"
).read_text()
"""A lab FRR router's day-0 config as FRR 8.4.4 prints it."""
NORMALISE = spec_for(Platform.FRR).diff.normalise
FILES = corpus_files()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_frr_loads_the_corpus_file_and_the_project_reads_its_intended_config(path: Path) -> None:
    text = path.read_text()
    marked = mark(text, lambda why: ConfigError(f"{path.name} as published: {why}"))
    assert marked.strip(), path.name
    assert NORMALISE is not None
    intended = merged(DAY0, text)
    lines = canonical_lines(NORMALISE, intended.split("\n"), lambda why: ConfigError(f"{path.name}: {why}"))
    # its routing sections are read, not lost: each ``router ...`` section is one of the result
    routers = {" ".join(s[0].split()) for s in sections(text) if s[0].startswith("router ")}
    assert routers <= set(lines), path.name


def test_the_corpus_keeps_at_least_fifty_files() -> None:
    assert len(FILES) >= 50
