"""speedtest-cli's measurement against a Speedtest-Mini server, without speedtest.net.

``python -m sipelangi_net.bandwidth.speedtest_probe URL [--seconds N] [--threads N]``
prints one JSON object: ``download_mbps``, ``upload_mbps``, ``ping_ms``, ``server``,
``bytes_received``, ``bytes_sent`` — or ``{"error": ...}`` with exit status 1.

speedtest-cli always asks www.speedtest.net for its configuration first; a government
intranet (and the lab) has no route there, so the probe supplies that configuration itself
(test length, threads, transfer sizes: speedtest.net's defaults, shorter) and measures with
speedtest-cli's own downloader and uploader against the given Mini server.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import warnings
from typing import Any

import speedtest  # type: ignore[import-untyped]

UPLOAD_SIZES = [32768, 65536, 131072, 262144, 524288, 1048576, 7340032]
DOWNLOAD_SIZES = [350, 500, 750, 1000, 1500, 2000, 2500, 3000, 3500, 4000]


class ExactUploadData(speedtest.HTTPUploaderData):  # type: ignore[misc]
    """speedtest-cli 2.1.3 pre-allocates up to 35 bytes fewer than the Content-Length it sends
    (``36 * round(n / 36)``), so a server that reads the declared length waits for bytes that
    never come and the upload stalls until the socket times out. Send exactly ``length`` bytes.
    """

    def pre_allocate(self) -> None:
        self._data = io.BytesIO(b"content1=" + b"0123456789ABCDEFGHIJ" * (self.length // 20 + 1))
        self._data.truncate(int(self.length))


class LocalSpeedtest(speedtest.Speedtest):  # type: ignore[misc]
    """``speedtest.Speedtest`` whose configuration is local instead of speedtest.net's."""

    def __init__(self, *, seconds: int, threads: int, timeout: int) -> None:
        self._seconds, self._threads = seconds, threads
        with warnings.catch_warnings():  # speedtest-cli 2.1.3 stamps its results with utcnow()
            warnings.filterwarnings("ignore", r"datetime\.datetime\.utcnow", DeprecationWarning)  # 3.12+
            super().__init__(timeout=timeout)

    def get_config(self) -> dict[str, Any]:
        sizes = {"upload": UPLOAD_SIZES[1:], "download": DOWNLOAD_SIZES}
        self.config.update(
            {
                "client": {"ip": "", "isp": "Jaringan Intra Pemerintah", "lat": "0", "lon": "0"},
                "ignore_servers": [],
                "sizes": sizes,
                "counts": {"upload": 9, "download": 4},
                "threads": {"upload": self._threads, "download": self._threads},
                "length": {"upload": self._seconds, "download": self._seconds},
                "upload_max": 9 * len(sizes["upload"]),
            }
        )
        self.lat_lon = (0.0, 0.0)
        return dict(self.config)


def measure(url: str, *, seconds: int, threads: int, timeout: int = 10) -> dict[str, Any]:
    speedtest.HTTPUploaderData = ExactUploadData  # upload() looks the class up at call time
    st = LocalSpeedtest(seconds=seconds, threads=threads, timeout=timeout)
    st.get_best_server(st.set_mini_server(url))
    st.download()
    st.upload()
    r = st.results
    if not r.bytes_received or not r.bytes_sent:
        raise RuntimeError(f"no data moved ({r.bytes_received} bytes down, {r.bytes_sent} up)")
    return {
        "download_mbps": round(r.download / 1e6, 2),
        "upload_mbps": round(r.upload / 1e6, 2),
        "ping_ms": round(r.ping, 2),
        "server": url,
        "bytes_received": r.bytes_received,
        "bytes_sent": r.bytes_sent,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="speedtest_probe")
    parser.add_argument("url")
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    try:
        print(json.dumps(measure(args.url, seconds=args.seconds, threads=args.threads)))
    except Exception as exc:  # speedtest-cli raises many types; every one means "no result"
        print(json.dumps({"error": f"{type(exc).__name__}: {str(exc)[:200]}"}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
