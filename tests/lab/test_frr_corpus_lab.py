"""The public FRR corpus on a lab router (tests/lab/frr_corpus.py): every file through the whole
round trip (about 2 s each), and compliance on a router whose intended config carries a corpus
configuration. Each test leaves the router at its day-0 config, unarmed, even when it fails
(the figures of the whole corpus in one table: bench/frr_corpus_lab.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sipelangi_net.change.diff import diff_device
from sipelangi_net.change.push import normalise
from sipelangi_net.change.render import Intended
from sipelangi_net.compliance.compare import check_device
from sipelangi_net.compliance.remediate import remediate
from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.lab import LabDriver, open_driver
from sipelangi_net.errors import SipelangiError
from sipelangi_net.inventory import load_inventory
from sipelangi_net.platforms import Platform
from tests.lab.conftest import ROOT
from tests.lab.frr_corpus import CORPUS, corpus_files, lab_round_trip, merged, settled_config

ROUTER = "dist-tamansari"
FRR = Platform.FRR
COMPLIANCE_FILE = "frr-topotests-bgp_vrf_import_route_map-r2.conf"


@pytest.fixture
def router(lab: dict[str, Any], creds: Credentials) -> Iterator[LabDriver]:
    drv = open_driver(load_inventory(ROOT / "inventory").devices[ROUTER], creds)
    drv.open()
    try:
        yield drv
    finally:
        drv.close()


REFUSED_BY_THE_LAB = {
    # peers with 10.255.0.2, the lab router's own uplink address: FRR refuses the neighbor (a clash
    # of the merge with the lab's addressing, not of the diff; docs/corpus.md)
    "frr-topotests-bgp_table_map-r1.conf": "neighbor 10.255.0.2 remote-as external",
}


@pytest.mark.parametrize("name", [path.name for path in corpus_files()])
def test_a_corpus_config_converges_and_both_rollbacks_are_exact(router: LabDriver, name: str) -> None:
    outcome = lab_round_trip(router, name, (CORPUS / name).read_text())
    if name in REFUSED_BY_THE_LAB:
        assert REFUSED_BY_THE_LAB[name] in outcome.refused and outcome.restored, outcome
        return
    assert outcome.refused == "" and outcome.second_diff == (), outcome
    assert outcome.engine_rollback == "exact", outcome
    assert outcome.restored, outcome.first_difference


def test_a_router_with_a_corpus_config_is_compliant_after_one_remediation(
    router: LabDriver, creds: Credentials, tmp_path: Path
) -> None:
    """Intended = day-0 + the corpus config's routing parts (as the round trip builds it): the
    day-0 router drifts; one remediation (armed, pushed, post-checked, confirmed) makes it
    compliant. The router is put back to day-0 afterwards, whatever happened."""
    day0 = settled_config(router)
    intended = merged(day0, (CORPUS / COMPLIANCE_FILE).read_text())
    try:
        assert check_device(ROUTER, FRR, day0, intended).status == "drift"
        report = remediate(
            {ROUTER: Intended(ROUTER, FRR.value, intended)},
            load_inventory(ROOT / "inventory"),
            creds,
            driver_factory=open_driver,
            backups=tmp_path / "backups",
        )
        assert report.ok, report.error
        assert check_device(ROUTER, FRR, router.get_config(), intended).status == "compliant"
    finally:
        with contextlib.suppress(SipelangiError):  # armed only when the remediation failed half-way
            router.rollback()
        back = diff_device(ROUTER, FRR, router.get_config(), day0, scope="replace")
        router.push(back.commands)
        assert normalise(FRR, router.get_config()) == normalise(FRR, day0)
