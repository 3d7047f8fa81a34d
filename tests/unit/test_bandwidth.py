"""Bandwidth test (SOP step 8): iperf3 results read strictly, the verdict, retries; never a false pass.

The iperf3 outputs are real ones recorded on the lab (tests/fixtures/iperf3/).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipelangi_net.bandwidth import iperf
from sipelangi_net.bandwidth.models import IperfFigures
from sipelangi_net.bandwidth.run import BwRun, Endpoint, Settings, bandwidth_servers, bwtest, local_execute
from sipelangi_net.bandwidth.verdict import judge, threshold
from sipelangi_net.errors import ConfigError, MeasurementError
from sipelangi_net.inventory import load_inventory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "iperf3"
ROOT = Path(__file__).resolve().parents[2]
IPERF = Endpoint("srv-iperf", "10.10.10.20", 5201)
SPEED = Endpoint("srv-speedtest", "10.10.10.30", 8080)
SPEEDTEST_OK = json.dumps(
    {
        "download_mbps": 95.1,
        "upload_mbps": 94.2,
        "ping_ms": 0.5,
        "server": "x",
        "bytes_received": 1,
        "bytes_sent": 1,
    }
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_real_tcp_results_are_read_from_the_receiver_side() -> None:
    down = iperf.parse_tcp(fixture("tcp_download.json"), what="TCP download")
    data = json.loads(fixture("tcp_download.json"))["end"]
    assert down.mbps == round(data["sum_received"]["bits_per_second"] / 1e6, 2)
    assert down.mbps > 0 and down.seconds > 0
    assert down.retransmits == data["sum_sent"]["retransmits"]
    assert iperf.parse_tcp(fixture("tcp_upload.json"), what="TCP upload").mbps > 0


def test_real_udp_result_gives_jitter_and_loss() -> None:
    udp = iperf.parse_udp(fixture("udp.json"))
    assert udp.loss_pct == 0 and 0 <= udp.jitter_ms < 5
    assert 40 < udp.mbps < 43  # offered at 42 Mbit/s


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no output"),
        ('{"start": {}, "end": {"sum_recei', "not complete JSON"),
        ("[1, 2]", "not an iperf3 JSON document"),
        ('{"start": {}, "intervals": [], "end": {}}', "no 'end' section"),
        (fixture("busy.json"), "busy"),
        (fixture("refused.json"), "unable to connect"),
    ],
)
def test_unusable_output_is_an_error_never_a_figure(text: str, message: str) -> None:
    with pytest.raises(MeasurementError, match=message):
        iperf.parse_tcp(text, what="TCP download")


def test_a_run_that_moved_no_data_is_an_error() -> None:
    data = json.loads(fixture("tcp_download.json"))
    data["end"]["sum_received"].update(bytes=0, bits_per_second=0)
    with pytest.raises(MeasurementError, match="no data received"):
        iperf.parse_tcp(json.dumps(data), what="TCP download")
    data = json.loads(fixture("udp.json"))
    data["end"]["sum"]["packets"] = 0
    with pytest.raises(MeasurementError, match="no datagrams"):
        iperf.parse_udp(json.dumps(data))


def test_busy_and_refused_servers_are_worth_retrying_truncation_is_not() -> None:
    for name, retry in (("busy.json", True), ("refused.json", True)):
        with pytest.raises(MeasurementError) as exc:
            iperf.parse_tcp(fixture(name), what="x")
        assert iperf.retryable(exc.value) is retry
    with pytest.raises(MeasurementError) as exc:
        iperf.parse_tcp(fixture("tcp_download.json")[:500], what="x")
    assert not iperf.retryable(exc.value)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=300), st.recursive(st.none() | st.integers() | st.text(max_size=5),
       lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["end", "sum", "sum_received",
       "sum_sent", "seconds", "bytes", "bits_per_second", "packets", "error"]), c, max_size=4),
       max_leaves=12).map(json.dumps)))  # fmt: skip
def test_hostile_output_raises_only_measurement_errors(text: str) -> None:
    for parse in (lambda t: iperf.parse_tcp(t, what="x"), iperf.parse_udp):
        try:
            result = parse(text)
        except MeasurementError:
            continue
        assert result.mbps >= 0 and result.seconds > 0


def figures(down: float, up: float, loss: float = 0.0) -> IperfFigures:
    return IperfFigures(
        download_mbps=down, upload_mbps=up, retransmits_down=0, retransmits_up=0,
        jitter_ms=0.1, loss_pct=loss, udp_mbps=42, streams=4, seconds=3,
    )  # fmt: skip


def test_verdict_passes_at_the_target_less_the_tolerance_and_not_below() -> None:
    assert threshold(42, 0.06) == 39.48
    ok, why = judge(down=42, up=42, tolerance=0.06, iperf=figures(39.48, 40), errors=())
    assert ok and "download 39.48" in why
    ok, why = judge(down=42, up=42, tolerance=0.06, iperf=figures(39.47, 40), errors=())
    assert not ok and why.startswith("download 39.47 Mbit/s < 39.48")
    ok, why = judge(down=42, up=42, tolerance=0.06, iperf=figures(95, 9.5), errors=())
    assert not ok and "upload 9.5 Mbit/s < 39.48" in why


def test_verdict_fails_on_loss_and_on_any_error() -> None:
    assert not judge(down=42, up=42, tolerance=0.06, iperf=figures(95, 95, loss=3), errors=())[0]
    ok, why = judge(down=42, up=42, tolerance=0.06, iperf=figures(95, 95), errors=("speedtest: refused",))
    assert not ok and why == "not measured: speedtest: refused"
    assert not judge(down=42, up=42, tolerance=0.06, iperf=None, errors=())[0]


class FakeOpdSide:
    """Answers the runner's commands with recorded outputs, in order, per kind of command."""

    def __init__(self, **answers: list[tuple[int, str]]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        kind = (
            "speedtest" if "speedtest_probe" in " ".join(argv)
            else "udp" if "-u" in argv else "down" if "-R" in argv else "up"
        )  # fmt: skip
        queue = self.answers[kind]
        rc, out = queue.pop(0) if len(queue) > 1 else queue[0]
        return subprocess.CompletedProcess(list(argv), rc, out, "")


def ok_side(**over: list[tuple[int, str]]) -> FakeOpdSide:
    answers = {
        "down": [(0, fixture("tcp_download.json"))],
        "up": [(0, fixture("tcp_upload.json"))],
        "udp": [(0, fixture("udp.json"))],
        "speedtest": [(0, SPEEDTEST_OK)],
    }
    return FakeOpdSide(**{**answers, **over})


def run(side: FakeOpdSide, *, down: float = 42, up: float = 42, **kw: object) -> tuple[BwRun, list[float]]:
    slept: list[float] = []
    result = bwtest(
        "SPL-2026-00001", target_down=down, target_up=up, client="pc-dinkes", iperf_server=IPERF,
        speedtest_server=SPEED, execute=side, sleep=slept.append, settings=Settings(**kw),  # type: ignore[arg-type]
    )  # fmt: skip
    return result, slept


def test_a_good_run_passes_with_every_figure_and_keeps_the_raw_outputs() -> None:
    side = ok_side()
    got, slept = run(side)
    r = got.result
    assert r.verdict == "pass" and r.errors == () and slept == []
    assert r.iperf is not None and r.speedtest is not None
    assert r.iperf.download_mbps == iperf.parse_tcp(fixture("tcp_download.json"), what="x").mbps
    assert r.speedtest.download_mbps == 95.1 and r.server == "srv-iperf 10.10.10.20:5201"
    assert set(got.raw) == {"TCP download", "TCP upload", "UDP", "speedtest"}
    assert ["-R" in c for c in side.calls[:2]] == [True, False]


def test_a_busy_server_is_retried_with_backoff() -> None:
    side = ok_side(
        down=[(1, fixture("busy.json")), (1, fixture("busy.json")), (0, fixture("tcp_download.json"))]
    )
    got, slept = run(side)
    assert got.result.verdict == "pass"
    assert slept == [1.0, 2.0]


def test_a_server_that_stays_busy_fails_without_a_figure() -> None:
    got, slept = run(ok_side(down=[(1, fixture("busy.json"))]))
    r = got.result
    assert r.verdict == "fail" and r.iperf is None and "busy" in r.reason
    assert slept == [1.0, 2.0]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"down": [(127, "")]}, "iperf3 is not installed"),
        ({"up": [(1, fixture("tcp_upload.json")[:300])]}, "truncated"),
        ({"udp": [(124, "")]}, "no answer after"),
        (
            {"speedtest": [(1, '{"error": "SpeedtestMiniConnectFailure: Failed to connect"}')]},
            "Failed to connect",
        ),
        ({"speedtest": [(127, "")]}, "is not installed"),
        ({"speedtest": [(0, '{"download_mbps": 1}')]}, "incomplete result"),
    ],
)
def test_no_false_pass(over: dict[str, list[tuple[int, str]]], message: str) -> None:
    got, slept = run(ok_side(**over))
    r = got.result
    assert r.verdict == "fail" and message in r.reason
    assert slept == []


def test_a_slow_link_fails_against_its_target() -> None:
    got, _ = run(ok_side(), down=2000)
    assert got.result.verdict == "fail" and got.result.reason.startswith("download")


def test_the_test_servers_come_from_the_inventory(tmp_path: Path) -> None:
    inv = load_inventory(ROOT / "inventory")
    assert bandwidth_servers(inv) == (IPERF, SPEED)
    text = (ROOT / "inventory" / "servers.yaml").read_text().replace("name: iperf3", "name: iperf")
    copy = tmp_path / "inventory"
    copy.mkdir()
    for f in (ROOT / "inventory").iterdir():
        (copy / f.name).write_text(f.read_text())
    (copy / "servers.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"servers.yaml: no server offers the 'iperf3' service"):
        bandwidth_servers(load_inventory(copy))


def test_a_missing_program_on_this_machine_is_status_127() -> None:
    assert local_execute(["sipelangi-no-such-program"], 5).returncode == 127


def test_a_failed_udp_test_fails_but_keeps_the_tcp_figures_and_names_a_shortfall_first() -> None:
    reset = (1, '{"start": {}, "end": {}, "error": "unable to receive control message: Connection reset"}')
    got, slept = run(ok_side(udp=[reset]))
    assert slept == [1.0, 2.0]  # a reset control connection is retried, then it is an error
    r = got.result
    assert r.verdict == "fail" and r.reason.startswith("not measured: iperf3 UDP: unable to receive")
    assert r.iperf is not None and r.iperf.loss_pct is None and r.iperf.download_mbps > 0
    slow, _ = run(ok_side(udp=[reset]), down=2000)
    once, _ = run(ok_side(udp=[reset, (0, fixture("udp.json"))]))
    assert once.result.verdict == "pass"
    assert slow.result.reason.startswith("download") and "also not measured: iperf3 UDP" in slow.result.reason
