"""A replayed Arista EOS: eAPI (JSON-RPC ``runCmds`` over HTTPS) on 127.0.0.1, recorded answers.

The server presents a certificate for 127.0.0.1 signed by its own test CA; the test names that CA
in ``SSL_CERT_FILE``, so the driver's ``ssl.create_default_context()`` really verifies it (and a
client with another CA fails the handshake). Each request must carry the expected commands, in
order; anything else is recorded in ``errors`` and answered with an eAPI error.

Cassette (YAML)::

    steps:
      - cmds: [enable, show version]          # exactly what the client sends
        result: [{}, {version: 4.31.2F}]      # the JSON-RPC result (json format)
      - cmds: [enable, show running-config]
        format: text
        out_file: running.txt                 # text format: result [{output: ""}, {output: <file>}]
      - config: commands.txt                  # enable, configure session <session>, the lines, end
        error: {line: "...", message: "..."}  # optional: eAPI's error for that line

``<session>`` stands for napalm's configuration session name (``napalm_<microseconds>``).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.replay.replay_ssh import PASSWORD, USERNAME

SESSION = re.compile(r"napalm_\d+")


@dataclass
class Exchange:
    cmds: list[str]
    fmt: str
    result: list[Any] | None = None
    error: dict[str, Any] | None = None


@dataclass
class EapiCassette:
    steps: list[Exchange] = field(default_factory=list)


def load_eapi_cassette(path: Path) -> EapiCassette:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps: list[Exchange] = []
    for raw in data["steps"]:
        if "config" in raw:
            steps.append(_config(path.parent, raw))
            continue
        fmt = raw.get("format", "json")
        if "out_file" in raw or "out" in raw:
            out = (path.parent / raw["out_file"]).read_text() if "out_file" in raw else str(raw["out"])
            result = [{"output": ""} for _ in raw["cmds"][:-1]] + [{"output": out}]
        else:
            result = raw.get("result")
        steps.append(Exchange([str(c) for c in raw["cmds"]], fmt, result, raw.get("error")))
    return EapiCassette(steps)


def _config(folder: Path, raw: dict[str, Any]) -> Exchange:
    lines = [ln.strip() for ln in (folder / raw["config"]).read_text().splitlines() if ln.strip()]
    cmds = ["enable", "configure session <session>", *lines, "end"]
    error = raw.get("error")
    if error is None:
        return Exchange(cmds, "json", [{} for _ in cmds])
    index = cmds.index(error["line"].strip())
    data = [{} for _ in cmds[:index]] + [{"errors": [error["message"]]}]
    return Exchange(
        cmds,
        "json",
        error={
            "code": 1002,
            "message": f"CLI command {index + 1} of {len(cmds)} '{cmds[index]}' failed: invalid command",
            "data": data,
        },
    )


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1."""
    now = dt.datetime.now(dt.UTC)

    def cert(subject: str, key: Any, issuer: str, signer: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
            builder = builder.add_extension(san, critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("replay test CA", ca_key, "replay test CA", ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    server = cert("127.0.0.1", key, "replay test CA", ca_key, False)
    paths = (folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


class ReplayEapi:
    """One replayed EOS device; ``start()``, point the inventory at ``port``, ``stop()``."""

    def __init__(self, name: str, cassette: EapiCassette, cert: Path, key: Path) -> None:
        self.name = name
        self.remaining = list(cassette.steps)
        self.played: list[str] = []
        self.errors: list[str] = []
        self.session = "<session>"
        self._lock = threading.Lock()
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.socket = self._context.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ReplayEapi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        params = request.get("params", {})
        sent = [c["cmd"] if isinstance(c, dict) else str(c) for c in params["cmds"]]
        named = next((m.group(0) for m in map(SESSION.search, sent) if m), None)
        if named is not None:
            self.session = named
        cmds = [SESSION.sub("<session>", c) for c in sent]
        fmt = params.get("format", "json")
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
        with self._lock:
            step = self.remaining[0] if self.remaining else None
            if step is None or step.cmds != cmds or step.fmt != fmt:
                expected = f"{step.cmds} ({step.fmt})" if step else "nothing more"
                self.errors.append(f"{self.name}: unexpected runCmds {cmds} ({fmt}), expected {expected}")
                reply["error"] = {"code": 1002, "message": "replay: unexpected commands", "data": []}
                return reply
            self.remaining.pop(0)
            self.played.extend(cmds)
        answer = {"error": step.error} if step.error is not None else {"result": step.result}
        reply.update(json.loads(json.dumps(answer).replace("<session>", self.session)))
        return reply

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        device = self
        token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                if self.headers.get("Authorization") != f"Basic {token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                length = int(self.headers.get("Content-Length", 0))
                body = json.dumps(device.answer(json.loads(self.rfile.read(length)))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
