"""The lab's Diskominfo-side application servers (run inside a host namespace).

``python -m sipelangi_net.lab.appserver --host NAME --serve simpeg:8001 ...``
answers HTTP on every given port: an intranet application answers with its
name; the ``speedtest`` service serves the Speedtest-Mini layout
(``/speedtest/latency.txt``, ``/speedtest/random<N>x<N>.jpg``,
``/speedtest/upload.php``) so speedtest-cli can measure without the internet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal

MAX_BODY = 64 * 1024 * 1024
RANDOM_IMAGE = re.compile(r"^/(?:speedtest/)?random(\d{2,4})x\d{2,4}\.jpg$")
_CHUNK = bytes(range(256)) * 256


def _response(status: str, body: bytes, content_type: str = "text/plain") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


def _image_bytes(size: int) -> bytes:
    # speedtest-cli's random<N>x<N>.jpg files weigh roughly N*N/8 bytes... keep it proportional.
    n = size * size // 2
    return (_CHUNK * (n // len(_CHUNK) + 1))[:n]


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        return None
    method, path = parts[0], parts[1].split("?", 1)[0]
    length = 0
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = min(int(value.strip() or 0), MAX_BODY)
    body = await reader.readexactly(length) if length else b""
    return method, path, body


def _answer(service: str, host: str, method: str, path: str, body: bytes) -> bytes:
    if service == "speedtest":
        if path.endswith("latency.txt"):
            return _response("200 OK", b"test=test\n")
        if path.endswith("upload.php"):
            return _response("200 OK", f"size={len(body)}".encode())
        m = RANDOM_IMAGE.match(path)
        if m:
            return _response("200 OK", _image_bytes(int(m.group(1))), "image/jpeg")
        if method == "GET" and path in ("/", "/speedtest/"):
            return _response("200 OK", b"Speedtest Diskominfo Pangkalpinang\n")
        return _response("404 Not Found", b"not found\n")
    payload = json.dumps({"service": service, "host": host, "path": path}).encode()
    return _response("200 OK", payload, "application/json")


def _handler(service: str, host: str):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request := await _read_request(reader):
                writer.write(_answer(service, host, *request))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    return handle


async def _serve(host: str, services: list[tuple[str, int]]) -> None:
    servers = [
        await asyncio.start_server(_handler(name, host), "0.0.0.0", port)  # noqa: S104 - inside a lab namespace
        for name, port in services
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sipelangi-net-appserver")
    parser.add_argument("--host", required=True)
    parser.add_argument("--serve", action="append", default=[], metavar="NAME:PORT")
    parser.add_argument("--pidfile")
    args = parser.parse_args(argv)
    if args.pidfile:
        with open(args.pidfile, "w", encoding="ascii") as f:
            f.write(f"{os.getpid()}\n")
    services = []
    for item in args.serve:
        name, _, port = item.rpartition(":")
        services.append((name, int(port)))
    asyncio.run(_serve(args.host, services))


if __name__ == "__main__":
    main()
