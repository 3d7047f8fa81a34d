"""Pass or fail of a bandwidth test against the plan's target (pure; docs/bandwidth.md)."""

from __future__ import annotations

from sipelangi_net.bandwidth.models import MAX_LOSS_PCT, IperfFigures


def threshold(target_mbps: float, tolerance: float) -> float:
    """The least goodput that passes: the target less the tolerance (TCP/IP headers + margin)."""
    return round(target_mbps * (1 - tolerance), 2)


def judge(
    *,
    down: float,
    up: float,
    tolerance: float,
    iperf: IperfFigures | None,
    errors: tuple[str, ...],
) -> tuple[bool, str]:
    """``(passed, reason)``. Any error fails: a test that could not be made is never a pass.

    A shortfall the TCP figures show is named first, also when a later part of the test failed.
    """
    if iperf is None:
        return False, f"not measured: {errors[0] if errors else 'no iperf3 result'}"
    need_down, need_up = threshold(down, tolerance), threshold(up, tolerance)
    short = []
    if iperf.download_mbps < need_down:
        short.append(f"download {iperf.download_mbps:g} Mbit/s < {need_down:g}")
    if iperf.upload_mbps < need_up:
        short.append(f"upload {iperf.upload_mbps:g} Mbit/s < {need_up:g}")
    if iperf.loss_pct is not None and iperf.loss_pct > MAX_LOSS_PCT:
        short.append(f"UDP loss {iperf.loss_pct:g} % > {MAX_LOSS_PCT:g} % at {iperf.udp_mbps:g} Mbit/s")
    target = f"target {down:g}/{up:g} Mbit/s less {tolerance * 100:g} %"
    if short:
        also = f"; also not measured: {errors[0]}" if errors else ""
        return False, "; ".join(short) + f" ({target}){also}"
    if errors:
        return False, f"not measured: {errors[0]}"
    return True, (
        f"download {iperf.download_mbps:g} / upload {iperf.upload_mbps:g} Mbit/s"
        f" >= {need_down:g} / {need_up:g} ({target}); UDP loss {iperf.loss_pct:g} %,"
        f" jitter {iperf.jitter_ms:g} ms"
    )
