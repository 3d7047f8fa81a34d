"""Replay devices for the driver tests: an SSH server on 127.0.0.1 that plays a recorded session.

A :class:`ReplayDevice` listens on a random port of 127.0.0.1 with its own host key (written to a
known_hosts file the test passes to the driver, so host-key verification runs for real) and plays
one cassette:

* an interactive CLI (``shell``), for the Netmiko-based drivers (Cisco IOS, MikroTik RouterOS):
  it echoes what it receives like a terminal, answers an empty line with the prompt, and expects
  the cassette's commands *in order*, answering each with its recorded output and prompt;
* NETCONF 1.0 (the ``netconf`` subsystem, ``]]>]]>`` framing), for Junos through napalm/PyEZ/ncclient:
  it expects the cassette's RPCs in order (matched by the first element under ``<rpc>`` and
  the fragments each step names) and answers with the recorded ``<rpc-reply>`` body.

Anything unexpected (another command, another RPC, an extra one) is recorded in ``errors`` and
answered with a ``% REPLAY`` error (a CLI session then refuses every further command; a NETCONF
session is closed), so the test fails loudly; ``remaining`` lists the steps that were never played.

Cassette (YAML, under ``tests/fixtures/<platform>/driver_<case>/<device>.yaml``)::

    prompt: "dist-gerunggang#"        # shell: the prompt after login
    steps:
      - cmd: show running-config      # the exact line the driver must send
        out_file: running.txt         # or out: "text"; the answer (default empty)
        prompt: "dist-gerunggang#"    # optional: the prompt from now on
      - config: [lines]               # shell: IOS-style config session: configure terminal,
        reject: {line: "...", out: "% Invalid input ..."}   # each line (optionally one refused),
                                      # then end (prompts follow the section, as on the device)
      - rpc: get-configuration        # netconf: the RPC element
        contains: ["<confirmed/>"]    # fragments the request must contain
        excludes: ["<confirmed/>"]    # fragments it must not contain
        reply_file: reply.xml         # or reply: "<ok/>"
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
import yaml

from sipelangi_net.credentials import Credentials

USERNAME = "netops"
PASSWORD = "replay-password-not-secret"
NETCONF_HELLO = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
    "<capability>urn:ietf:params:netconf:base:1.0</capability>"
    "<capability>urn:ietf:params:netconf:capability:candidate:1.0</capability>"
    "<capability>urn:ietf:params:netconf:capability:confirmed-commit:1.0</capability>"
    "<capability>urn:ietf:params:netconf:capability:validate:1.0</capability>"
    "<capability>http://xml.juniper.net/netconf/junos/1.0</capability>"
    "<capability>http://xml.juniper.net/dmi/system/1.0</capability>"
    "</capabilities><session-id>4242</session-id></hello>]]>]]>"
)
EOM = b"]]>]]>"
LOGOUT = ("exit", "quit", "/quit")

# IOS/EOS config-mode prompts: the section a top-level line opens.
SECTION_PROMPTS = (
    ("interface ", "config-if"),
    ("ip access-list extended ", "config-ext-nacl"),
    ("ip access-list ", "config-acl"),
    ("ip dhcp pool ", "dhcp-config"),
    ("policy-map ", "config-pmap"),
)


@dataclass
class Step:
    kind: str  # "cmd" | "rpc"
    expect: str
    out: str = ""
    prompt: str | None = None
    contains: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass
class Cassette:
    prompt: str
    steps: list[Step] = field(default_factory=list)


def load_cassette(path: Path) -> Cassette:
    """Read a cassette; ``config`` blocks are expanded into the lines a CLI session exchanges."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    prompt = str(data.get("prompt", ""))
    host = prompt.rstrip("#>").strip()
    steps: list[Step] = []
    for raw in data["steps"]:
        if "config" in raw:
            steps += _config_steps(path.parent, host, raw)
            continue
        out = _text(path.parent, raw, "out")
        if "rpc" in raw:
            reply = _text(path.parent, raw, "reply")
            contains, excludes = tuple(raw.get("contains", ())), tuple(raw.get("excludes", ()))
            steps.append(Step("rpc", raw["rpc"], reply, contains=contains, excludes=excludes))
        else:
            steps.append(Step("cmd", str(raw["cmd"]), out, raw.get("prompt")))
    return Cassette(prompt, steps)


def _text(folder: Path, raw: dict[str, Any], key: str) -> str:
    if f"{key}_file" in raw:
        return (folder / raw[f"{key}_file"]).read_text(encoding="utf-8")
    return str(raw.get(key, ""))


def _config_steps(folder: Path, host: str, raw: dict[str, Any]) -> list[Step]:
    lines = raw["config"]
    if isinstance(lines, str):
        lines = (folder / lines).read_text(encoding="utf-8").splitlines()
    reject = raw.get("reject") or {}
    steps = [
        Step(
            "cmd",
            "configure terminal",
            "Enter configuration commands, one per line.  End with CNTL/Z.",
            f"{host}(config)#",
        )
    ]
    mode = "config"
    for line in lines:
        if not line.startswith(" "):
            mode = next((m for start, m in SECTION_PROMPTS if line.startswith(start)), "config")
        elif line.strip().startswith("class ") and mode == "config-pmap":
            mode = "config-pmap-c"
        if reject and line.strip() == reject["line"].strip():
            steps.append(Step("cmd", line.strip(), str(reject["out"]), f"{host}({mode})#"))
            if reject.get("then_end", True):
                steps.append(Step("cmd", "end", "", f"{host}#"))
            return steps
        steps.append(Step("cmd", line.strip(), "", f"{host}({mode})#"))
    steps.append(Step("cmd", "end", "", f"{host}#"))
    return steps


class _Server(paramiko.ServerInterface):
    def __init__(self) -> None:
        self.kind: str | None = None
        self.ready = threading.Event()

    def check_auth_password(self, username: str, password: str) -> int:
        # RouterOS clients append terminal options to the user name ("netops+ct511w4098h").
        if username.split("+", 1)[0] == USERNAME and password == PASSWORD:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return (
            paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: Any) -> bool:
        self.kind = "shell"
        self.ready.set()
        return True

    def check_channel_subsystem_request(self, channel: Any, name: str) -> bool:
        if name != "netconf":
            return False
        self.kind = "netconf"
        self.ready.set()
        return True


class ReplayDevice:
    """One replayed device: ``start()``, point the inventory at ``port``, ``stop()``."""

    def __init__(self, name: str, cassette: Cassette, host_key: paramiko.PKey) -> None:
        self.name = name
        self.cassette = cassette
        self.host_key = host_key
        self.remaining = list(cassette.steps)
        self.played: list[str] = []
        self.errors: list[str] = []
        self.sessions = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._threads: list[threading.Thread] = []
        self._transports: list[paramiko.Transport] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.port = 0

    def start(self) -> ReplayDevice:
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for transport in self._transports:
            transport.close()
        self._sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_key.get_name()} {self.host_key.get_base64()}\n"

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        self._transports.append(transport)
        transport.add_server_key(self.host_key)
        server = _Server()
        try:
            transport.start_server(server=server)
        except (paramiko.SSHException, EOFError, OSError):
            return  # e.g. the client refused our host key
        chan = transport.accept(10)
        if chan is None or not server.ready.wait(10):
            return
        self.sessions += 1
        try:
            if server.kind == "netconf":
                self._netconf(chan)
            else:
                self._shell(chan)
        except (OSError, EOFError, paramiko.SSHException):
            pass
        finally:
            with contextlib.suppress(Exception):  # the client may be gone already
                chan.close()

    # --- interactive CLI -------------------------------------------------------------------

    def _fail(self, what: str) -> None:
        with self._lock:
            self.errors.append(f"{self.name}: {what}")

    def _next(self, kind: str, got: str) -> Step | None:
        with self._lock:
            if not self.remaining:
                self.errors.append(f"{self.name}: unexpected {kind} {got!r} (the cassette has ended)")
                return None
            step = self.remaining[0]
            if step.kind != kind or step.expect != got:
                self.errors.append(f"{self.name}: unexpected {kind} {got!r}, expected {step.expect!r}")
                return None
            self.remaining.pop(0)
            self.played.append(got)
            return step

    def _shell(self, chan: paramiko.Channel) -> None:
        prompt = self.cassette.prompt
        chan.sendall(f"\r\n{prompt}".encode())
        buf = b""
        last_cr = False
        while not self._stopping.is_set():
            data = chan.recv(4096)
            if not data:
                return
            for byte in data:
                ch = bytes([byte])
                if ch == b"\n" and last_cr:
                    last_cr = False
                    continue
                last_cr = ch == b"\r"
                if ch not in (b"\r", b"\n"):
                    buf += ch
                    chan.sendall(ch)  # terminal echo
                    continue
                line = buf.decode(errors="replace").strip()
                buf = b""
                if not line:
                    chan.sendall(f"\r\n{prompt}".encode())
                    continue
                if line in LOGOUT and not any(s.expect == line for s in self.remaining[:1]):
                    self.played.append(line)  # the client logs out (not waiting for an answer)
                    return
                step = None if self.errors else self._next("cmd", line)
                if step is None:
                    # answer at once (the client fails fast instead of waiting for a timeout);
                    # once off the cassette, every further command is refused too
                    chan.sendall(f"\r\n% REPLAY: unexpected command {line!r}\r\n{prompt}".encode())
                    continue
                prompt = step.prompt or prompt
                out = step.out.replace("\r\n", "\n").rstrip("\n")
                body = "\r\n".join(out.split("\n")) + "\r\n" if out else ""
                chan.sendall(f"\r\n{body}{prompt}".encode())

    # --- NETCONF 1.0 -----------------------------------------------------------------------

    def _netconf(self, chan: paramiko.Channel) -> None:
        chan.sendall(NETCONF_HELLO.encode())
        buf = b""
        hello_seen = False
        while not self._stopping.is_set():
            data = chan.recv(65536)
            if not data:
                return
            buf += data
            while EOM in buf:
                message, buf = buf.split(EOM, 1)
                text = message.decode(errors="replace")
                if not hello_seen:  # the client's <hello> (possibly <nc:hello>)
                    hello_seen = True
                    continue
                if not self._rpc(chan, text):
                    return

    def _rpc(self, chan: paramiko.Channel, text: str) -> bool:
        found = re.search(r'message-id="([^"]*)"', text)
        message_id = found.group(1) if found else "0"
        inner = re.sub(r"^.*?<(?:\w+:)?rpc\b[^>]*>", "", text, count=1, flags=re.S).strip()
        element = re.match(r"<(?:\w+:)?([\w-]+)", inner)
        name = element.group(1) if element else inner[:40]
        if name == "close-session":
            chan.sendall(_reply(message_id, "<ok/>"))
            return False
        with self._lock:
            step = self.remaining[0] if self.remaining else None
        missing = [c for c in step.contains if c not in inner] if step else []
        missing += [f"no {c}" for c in step.excludes if c in inner] if step else []
        if step is not None and step.kind == "rpc" and step.expect == name and missing:
            self._fail(f"rpc {name} lacks {missing}: {inner[:300]}")
            chan.sendall(_reply(message_id, _rpc_error("replay: request differs from the cassette")))
            return False
        if self._next("rpc", name) is None:
            chan.sendall(_reply(message_id, _rpc_error(f"replay: unexpected rpc {name}")))
            return False
        assert step is not None
        chan.sendall(_reply(message_id, step.out.strip()))
        return True


def _reply(message_id: str, body: str) -> bytes:
    return (
        f'<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
        f'xmlns:junos="http://xml.juniper.net/junos/23.4R1/junos" message-id="{message_id}">'
        f"{body}</rpc-reply>]]>]]>"
    ).encode()


def _rpc_error(message: str) -> str:
    return (
        "<rpc-error><error-type>protocol</error-type><error-tag>operation-failed</error-tag>"
        f"<error-severity>error</error-severity><error-message>{message}</error-message></rpc-error>"
    )


def replay_credentials(known_hosts: Path) -> Credentials:
    return Credentials(username=USERNAME, password=PASSWORD, known_hosts=known_hosts, source="replay")
