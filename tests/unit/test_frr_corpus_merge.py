"""The FRR corpus and how bench/frr_corpus_lab.py builds its intended configs: the lab
router's day-0 config with a corpus config's routing parts (tests/lab/frr_corpus.py ``merged``)."""

from __future__ import annotations

from pathlib import Path

from tests.lab.frr_corpus import CORPUS, corpus_files, interfaces, merged, sections

DAY0 = (
    Path(__file__).resolve().parents[1] / "fixtures" / "frr" / "facts_dist-gerunggang" / "running-config.txt"
).read_text()
CORPUS_TEXT = """frr version 9.1
hostname r1
password zebra
log file ospfd.log
!
interface lo
 ip address 10.0.255.1/32
!
interface r1-eth0
 ip address 10.0.1.1/24
 ip ospf hello-interval 1
!
ip route 0.0.0.0/0 10.0.1.2
ip route 10.9.0.0/16 10.0.1.2 tag 7
!
router ospf
  ospf router-id 10.0.255.1
  network 10.0.1.0/24 area 0
!
route-map rmap permit 10
  match ip address prefix-list nets
!
ip prefix-list nets seq 5 permit 10.0.3.0/24
!
line vty
!
"""


def test_the_merge_keeps_the_routers_own_config_and_takes_the_routing_parts() -> None:
    text = merged(DAY0, CORPUS_TEXT)
    heads = [s[0] for s in sections(text)]
    # the router's own: hostname, its links and loopback, its default route
    assert "hostname dist-gerunggang" in heads and "hostname r1" not in heads
    assert ["interface lo", " ip address 10.255.255.3/32"] in sections(text)
    assert "ip route 0.0.0.0/0 10.255.0.5" in heads and "ip route 0.0.0.0/0 10.0.1.2" not in heads
    # the corpus's routing parts
    assert ["interface r1-eth0", " ip address 10.0.1.1/24", " ip ospf hello-interval 1"] in sections(text)
    assert ["router ospf", "  ospf router-id 10.0.255.1", "  network 10.0.1.0/24 area 0"] in sections(text)
    assert "ip route 10.9.0.0/16 10.0.1.2 tag 7" in heads
    assert "ip prefix-list nets seq 5 permit 10.0.3.0/24" in heads
    assert any(h.startswith("route-map rmap") for h in heads)
    # not the corpus router's own lines
    assert not {"password zebra", "log file ospfd.log", "line vty", "frr version 9.1"} & set(heads)
    assert text.endswith("end\n")


def test_a_day0_interface_is_never_taken_from_the_corpus() -> None:
    assert interfaces(DAY0) == {"eth0", "eth1", "eth2", "lo"}
    for path in corpus_files():
        text = merged(DAY0, path.read_text())
        lo = [s for s in sections(text) if s[0] == "interface lo"]
        assert lo == [["interface lo", " ip address 10.255.255.3/32"]], path.name


def test_the_frr_corpus_has_fifty_public_routing_configs_with_their_source() -> None:
    files = corpus_files()
    assert len(files) >= 50
    source = (CORPUS / "SOURCE.md").read_text()
    routing = ("router ospf", "router bgp")
    for path in files:
        assert f"`{path.name}`" in source
        assert any(
            s[0].startswith((*routing, "route-map", "ip route", "ipv6 route"))
            for s in sections(path.read_text())
        )
    assert sum(any(s[0].startswith("router ospf") for s in sections(p.read_text())) for p in files) >= 10
    assert sum(any(s[0].startswith("router bgp") for s in sections(p.read_text())) for p in files) >= 30
