"""A small SSH server answering exec requests and an interactive shell (paramiko), for the
monitor's kept sessions.

``answers`` maps a command to its output; ``hang`` makes every command wait without answering (a
device that hangs); ``connections`` counts the handshakes (a kept session makes one). The shell
prints a banner and the prompt ``r1# ``, echoes each line typed (a pty) and answers it.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import paramiko


class _Server(paramiko.ServerInterface):
    def __init__(self, owner: ExecDevice) -> None:
        self.owner = owner

    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == "eng" and password == "pw"
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return (
            paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )

    def check_channel_exec_request(self, channel: Any, command: bytes) -> bool:
        self.owner.commands.append(command.decode())
        if self.owner.hang.is_set():
            return True  # accepted, never answered
        threading.Thread(target=self._answer, args=(channel, command.decode()), daemon=True).start()
        return True

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: Any) -> bool:
        threading.Thread(target=self._shell, args=(channel,), daemon=True).start()
        return True

    def _shell(self, channel: Any) -> None:
        time.sleep(0.02)
        channel.sendall(b"\r\nHello, this is a test device.\r\n\r\nr1# ")
        buf = b""
        while True:
            data = channel.recv(4096)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                command = line.decode()
                self.owner.commands.append(command)
                channel.sendall(line + b"\r\n")  # the pty's echo
                if self.owner.hang.is_set():
                    continue
                answer = self.owner.answers.get(command, "% Unknown command")
                channel.sendall(answer.replace("\n", "\r\n").encode() + b"\r\nr1# ")

    def _answer(self, channel: Any, command: str) -> None:
        time.sleep(0.02)  # after the transport has said yes to the exec request (as sshd does)
        channel.sendall(self.owner.answers.get(command, "").encode())
        channel.send_exit_status(0)
        channel.close()


class ExecDevice:
    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.key = paramiko.ECDSAKey.generate()
        self.commands: list[str] = []
        self.connections = 0
        self.hang = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._transports: list[paramiko.Transport] = []
        self._stop = threading.Event()
        self.port = 0

    def start(self) -> ExecDevice:
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.key.get_name()} {self.key.get_base64()}\n"

    def drop_sessions(self) -> None:
        for t in self._transports:
            t.close()

    def stop(self) -> None:
        self._stop.set()
        self.drop_sessions()
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            transport = paramiko.Transport(conn)
            self._transports.append(transport)
            transport.add_server_key(self.key)
            try:
                transport.start_server(server=_Server(self))
            except (paramiko.SSHException, EOFError, OSError):
                continue
