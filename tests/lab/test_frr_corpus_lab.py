"""The public FRR corpus on a real lab FRR router (tests/lab/frr_corpus.py): for each corpus
config, its routing parts merged into the router's day-0 config are pushed through the project's
diff and the lab driver; FRR refuses no line, the second diff is empty, the diff's own rollback
and the router's commit-confirm rollback restore the day-0 config exactly.

CI runs the subset :data:`~tests.lab.frr_corpus.SUBSET` (8 files); ``SIPELANGI_FRR_CORPUS=all``
runs the whole corpus (bench/frr_corpus_lab.py prints the figures). The router is
dist-tamansari (its day-0 config is what every other lab test that arms it restores); the lab's
FRR routers run zebra, staticd, ospfd and bgpd.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from sipelangi_net.change.push import normalise
from sipelangi_net.credentials import Credentials
from sipelangi_net.platforms import Platform
from tests.lab.deploy_helpers import connected
from tests.lab.frr_corpus import CORPUS, SUBSET, corpus_files, lab_round_trip

ROUTER = "dist-tamansari"
NAMES = [p.name for p in corpus_files()] if os.environ.get("SIPELANGI_FRR_CORPUS") == "all" else list(SUBSET)


@pytest.fixture
def router(lab: dict[str, Any], creds: Credentials) -> Any:
    """The lab router, connected; afterwards its config must be its day-0 config again."""
    with connected(ROUTER, creds) as drv:
        before = normalise(Platform.FRR, drv.get_config())
        yield drv
        assert normalise(Platform.FRR, drv.get_config()) == before, f"{ROUTER} was not restored"


@pytest.mark.parametrize("name", NAMES)
def test_a_corpus_config_converges_and_rolls_back_exactly_on_frr(router: Any, name: str) -> None:
    outcome = lab_round_trip(router, name, (CORPUS / name).read_text())
    assert not outcome.refused, outcome.refused
    assert outcome.commands > 0, "the corpus config changed nothing"
    assert outcome.second_diff == (), f"second diff not empty: {outcome.second_diff[:5]}"
    assert outcome.engine_rollback == "exact", outcome.engine_rollback
    assert outcome.restored, outcome.first_difference
