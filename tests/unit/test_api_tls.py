"""The server's transport: ``serve --cert --key`` serves HTTPS; plain HTTP is refused on any address
but loopback; answers leave at once (TCP_NODELAY).

The certificate is made here (``cryptography``, self-signed for 127.0.0.1); the
clients trust exactly it, as a deployment's would trust its own CA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import statistics
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from api_server import SCRIPT, running_server
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sipelangi_net.errors import ConfigError
from sipelangi_net.server.serve import Tls, check_transport, listen
from sipelangi_net.tickets.http import HttpStore

pytestmark = pytest.mark.timeout(90)


def self_signed(folder: Path, *, name: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate for ``name`` (an IP address) and its key (mode 600), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(name))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file


def test_serve_with_a_certificate_speaks_https_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed(tmp_path / "tls")
    trust = ssl.create_default_context(cafile=cert)
    with running_server(tmp_path / "srv", tls=(cert, key)) as server:
        assert server.url.startswith("https://127.0.0.1:")
        headers = {"Authorization": f"Bearer {server.token}"}
        with httpx.Client(base_url=f"{server.url}/api/v1", verify=trust, timeout=10) as client:
            assert client.get("/health").json() == {"status": "ok"}
            assert client.get("/tickets", headers=headers).json()["items"] == []
            assert client.get("/tickets").status_code == 401
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{server.url}/api/v1/health", timeout=5)  # the system's CAs do not know it
        with pytest.raises(httpx.TransportError):  # no plain HTTP on the TLS port
            httpx.get(server.url.replace("https://", "http://") + "/api/v1/health", timeout=5)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # how a CLI user trusts the server's own CA
        with HttpStore(server.url, token=server.token) as store:
            assert store.tickets() == []


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    token = tmp_path / "token"
    token.write_text("t" * 32 + "\n")
    token.chmod(0o600)
    argv = [str(SCRIPT), "serve", "--db", str(tmp_path / "t.db"), "--token-file", str(token), "--port", "0"]
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=60, env=env, check=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "sipelangi.example"])
def test_plain_http_on_a_non_loopback_address_is_refused_naming_it(tmp_path: Path, host: str) -> None:
    done = _serve(tmp_path, "--host", host)
    assert done.returncode == 2, done.stderr
    assert f"error: {host}: not a loopback address" in done.stderr
    assert "--cert FILE --key FILE" in done.stderr
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_loopback_needs_no_tls_and_any_address_may_have_it(host: str, tmp_path: Path) -> None:
    check_transport(host, None)
    check_transport("192.0.2.10", Tls(cert=tmp_path / "c", key=tmp_path / "k"))


def test_tls_files_are_checked_before_listening(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path / "tls")
    other_cert, _ = self_signed(tmp_path / "other")

    alone = _serve(tmp_path, "--cert", str(cert))
    assert alone.returncode == 2
    assert "--cert and --key go together" in alone.stderr

    key.chmod(0o640)
    shared = _serve(tmp_path, "--cert", str(cert), "--key", str(key))
    assert shared.returncode == 2
    assert f"{key}: TLS key is accessible by group or others; run: chmod 600 {key}" in shared.stderr
    key.chmod(0o600)

    mismatched = _serve(tmp_path, "--cert", str(other_cert), "--key", str(key))
    assert mismatched.returncode == 2
    assert "not a PEM certificate and its private key" in mismatched.stderr

    missing = _serve(tmp_path, "--cert", str(tmp_path / "nope.pem"), "--key", str(key))
    assert missing.returncode == 2
    assert "nope.pem: TLS certificate not found (--cert)" in missing.stderr


def test_check_names_the_key_file_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key\.pem: cannot read the TLS key"):
        Tls(cert=tmp_path / "cert.pem", key=tmp_path / "key.pem").check()


def test_the_listening_socket_is_tcp_so_answers_go_out_at_once() -> None:
    """asyncio sets TCP_NODELAY only on sockets of protocol TCP; without it each keep-alive answer
    (headers, then body) waited ~40 ms for the client's delayed ACK."""
    sock = listen("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_keep_alive_answers_are_not_held_back(tmp_path: Path) -> None:
    with running_server(tmp_path / "srv") as server, httpx.Client(base_url=server.url, timeout=10) as client:
        client.get("/api/v1/health")
        times = []
        for _ in range(15):
            t0 = time.perf_counter()
            client.get("/api/v1/health")
            times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 0.025, times
