"""Files named on the command line are read with a cap: endless, blocking or huge files are refused, fast."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sipelangi_net.capped import read_capped, read_capped_text
from sipelangi_net.errors import ConfigError, DocumentInputError, InventoryError, RequestError
from sipelangi_net.inventory import read_yaml
from sipelangi_net.tickets.intake import read_request_file

SCRIPT = Path(sys.executable).parent / "sipelangi-net"

pytestmark = pytest.mark.timeout(60)


def test_an_endless_file_is_refused_after_the_cap() -> None:
    with pytest.raises(RequestError, match=r"/dev/zero: too large \(256 KiB at most\)"):
        read_request_file(Path("/dev/zero"))
    with pytest.raises(InventoryError, match=r"/dev/zero: too large \(16 MiB at most\)"):
        read_yaml(Path("/dev/zero"))


def test_a_fifo_without_a_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "letter.yaml"
    os.mkfifo(fifo)
    assert read_capped(fifo, limit=10) == b""


def test_a_fifo_with_an_endless_writer_is_capped(tmp_path: Path) -> None:
    fifo = tmp_path / "letter.json"
    os.mkfifo(fifo)
    held = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that the writer can connect first
    connected = threading.Event()

    def write() -> None:
        try:
            with fifo.open("wb") as out:
                connected.set()
                while True:
                    out.write(b"x" * 65536)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        assert connected.wait(timeout=10)
        with pytest.raises(ConfigError, match="too large"):
            read_capped(fifo, limit=100_000)
    finally:
        os.close(held)
    writer.join(timeout=10)
    assert not writer.is_alive()


def test_limits_and_messages(tmp_path: Path) -> None:
    exact = tmp_path / "exact"
    exact.write_bytes(b"a" * 1024)
    assert read_capped(exact, limit=1024) == b"a" * 1024
    with pytest.raises(ConfigError, match=r"too large \(512 bytes at most\)"):
        read_capped(exact, limit=512)
    bigger = tmp_path / "bigger"
    bigger.write_bytes(b"b" * 3000)
    with pytest.raises(ConfigError, match=r"too large \(2 KiB at most\)"):
        read_capped(bigger, limit=2048)
    with pytest.raises(DocumentInputError, match=r"--scan .*exact: too large \(1023 bytes at most\)"):
        read_capped(exact, limit=1023, error=DocumentInputError, what="--scan")
    with pytest.raises(ConfigError, match="is a directory"):
        read_capped(tmp_path, limit=10)
    with pytest.raises(ConfigError, match="file not found"):
        read_capped(tmp_path / "missing", limit=10)
    latin = tmp_path / "latin"
    latin.write_bytes(b"caf\xe9")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        read_capped_text(latin, limit=10)


def test_ticket_new_file_dev_zero_exits_2_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    argv = [str(SCRIPT), "ticket", "new", "--file", "/dev/zero", "--db", str(tmp_path / "t.db")]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "/dev/zero: too large (256 KiB at most)" in proc.stderr
    assert "Traceback" not in proc.stderr
