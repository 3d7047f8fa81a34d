"""One command over SSH with strict host-key checking (paramiko exec channel).

Used where a whole interactive session is not needed (status probes). Host keys
are verified against the known_hosts file of the credentials; an unknown or
changed key is refused, exactly as for a real device.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import DeviceAuthError, DeviceError, DeviceTimeout, HostKeyError


def _known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def connect_client(
    name: str, host: str, port: int, creds: Credentials, *, timeout: float = 5.0, transport: Any = None
) -> Any:
    """A connected ``paramiko.SSHClient`` to the device ``name``, its host key verified against the
    credentials' known_hosts (an unknown or changed key is refused, as for every device).
    ``transport``: paramiko's ``transport_factory`` (:class:`KeptSession`'s quieter reader)."""
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    known_hosts = creds.known_hosts
    if known_hosts is None:
        known_hosts = Path.home() / ".ssh" / "known_hosts"
    try:
        client.load_host_keys(str(known_hosts))
    except FileNotFoundError:
        raise HostKeyError(
            name, f"known_hosts file {known_hosts} not found; cannot verify {host}:{port}"
        ) from None
    try:
        client.connect(
            host,
            port=port,
            username=creds.username,
            password=creds.password,
            key_filename=str(creds.ssh_key) if creds.ssh_key else None,
            look_for_keys=False,
            allow_agent=False,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            **({"transport_factory": transport} if transport is not None else {}),
        )
    except BaseException as exc:
        client.close()
        raise _ssh_error(name, f"{host}:{port}", creds, known_hosts, exc) from None
    return client


def _ssh_error(
    name: str, where: str, creds: Credentials, known_hosts: Path, exc: BaseException
) -> BaseException:
    """The project's error for a failed connection to ``where`` (``host:port``)."""
    import paramiko

    text = str(exc)
    if isinstance(exc, paramiko.BadHostKeyException):
        return HostKeyError(
            name,
            f"host key of {where} differs from {known_hosts}: refusing to connect"
            " (possible man-in-the-middle; if the device was replaced, update known_hosts)",
        )
    if isinstance(exc, paramiko.SSHException) and "not found in known_hosts" in text:
        return HostKeyError(name, f"host key of {where} is not in {known_hosts}: refusing to connect")
    if isinstance(exc, paramiko.AuthenticationException):
        return DeviceAuthError(name, f"authentication as {creds.username} refused")
    if isinstance(exc, paramiko.SSHException):
        return DeviceError(name, f"SSH error: {exc}")
    if isinstance(exc, TimeoutError):
        return DeviceTimeout(name, f"no answer from {where} in time")
    return (
        DeviceError(name, f"cannot reach {where}: {exc.strerror or exc}") if isinstance(exc, OSError) else exc
    )


def run_on(name: str, client: Any, command: str, *, timeout: float) -> str:
    """``command`` on a new exec channel of the connected ``client`` (the session stays open):
    its output; no answer within ``timeout`` is a :class:`DeviceTimeout`, a dead session a
    :class:`DeviceError`."""
    import paramiko

    try:
        _stdin, stdout, _stderr = client.exec_command(command, timeout=timeout)
        return str(stdout.read().decode("utf-8", "replace"))
    except TimeoutError:
        raise DeviceTimeout(name, f"no answer to {command[:60]!r} within {timeout:g} s") from None
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise DeviceError(name, f"session lost: {str(exc) or type(exc).__name__}") from None


def exec_command(
    name: str, host: str, port: int, creds: Credentials, command: str, *, timeout: float = 5.0
) -> str:
    """Run ``command`` on the device ``name`` at ``host:port``; return its output."""
    client = connect_client(name, host, port, creds, timeout=timeout)
    try:
        return run_on(name, client, command, timeout=timeout)
    finally:
        client.close()


KEPT_POLL_S = 1.0
"""How often an idle kept session's reader thread wakes (paramiko's default is 0.1 s: with a
hundred sessions kept open that is a thousand wake-ups a second for nothing)."""
KEEPALIVE_S = 30


def _kept_transport(*args: Any, **kwargs: Any) -> Any:
    import paramiko

    transport = paramiko.Transport(*args, **kwargs)
    transport.sock.settimeout(KEPT_POLL_S)
    return transport


class KeptSession:
    """One SSH connection to a device kept open between commands: each command runs on a new
    exec channel of the same connection (no handshake after the first). No I/O before ``open``."""

    def __init__(self, *, name: str, host: str, port: int, creds: Credentials, timeout: float = 5.0) -> None:
        self.name = name
        self.host = host
        self.port = port
        self._creds = creds
        self._timeout = timeout
        self._client: Any = None

    def open(self) -> None:
        self._client = connect_client(
            self.name, self.host, self.port, self._creds, timeout=self._timeout, transport=_kept_transport
        )
        self._client.get_transport().set_keepalive(KEEPALIVE_S)

    @property
    def client(self) -> Any:
        if self._client is None:
            raise DeviceError(self.name, "not connected (call open first)")
        return self._client

    def run(self, command: str, *, timeout: float) -> str:
        return run_on(self.name, self.client, command, timeout=timeout)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROMPT = re.compile(r"(?:^|\n)([^\r\n]{1,80}[#$>] ?)$")
"""A CLI's prompt at the end of what it printed: ``router# ``, ``switch$ ``, ``R1>``."""


class ShellSession:
    """One SSH connection and one interactive session (a pty, as an engineer's terminal) kept open:
    each command is typed at the device's prompt and read until the prompt comes back, so the
    device starts nothing per command (vtysh stays running; a shell forks only the command).
    No I/O before ``open``."""

    def __init__(self, *, name: str, host: str, port: int, creds: Credentials, timeout: float = 5.0) -> None:
        self.name = name
        self._exec = KeptSession(name=name, host=host, port=port, creds=creds, timeout=timeout)
        self._timeout = timeout
        self._chan: Any = None
        self.prompt = ""

    def open(self) -> None:
        self._exec.open()
        try:
            chan = self._exec.client.get_transport().open_session()
            chan.get_pty(width=65535, height=0)
            chan.invoke_shell()
            self._chan = chan
            seen = self._read_until(lambda text: PROMPT.search(text) is not None, self._timeout, "its prompt")
            match = PROMPT.search(seen)
            assert match is not None
            self.prompt = match.group(1)
        except BaseException:
            self.close()
            raise

    def run(self, command: str, *, timeout: float) -> str:
        if self._chan is None:
            raise DeviceError(self.name, "not connected (call open first)")
        while self._chan.recv_ready():  # anything left from before (a late answer)
            self._chan.recv(65536)
        self._chan.sendall(command.encode() + b"\n")
        echo = command + "\n"

        def answered(text: str) -> bool:  # the prompt again after the command's echo
            at = text.find(echo)
            return at >= 0 and text.endswith("\n" + self.prompt) and len(text) - len(self.prompt) > at

        text = self._read_until(answered, timeout, repr(command[:60]))
        return text[text.find(echo) + len(echo) : -len(self.prompt)]

    def _read_until(self, done: Any, timeout: float, what: str) -> str:

        self._chan.settimeout(timeout)
        chunks: list[str] = []
        text = ""
        try:
            while not done(text):
                data = self._chan.recv(65536)
                if not data:
                    raise DeviceError(self.name, f"session lost while waiting for {what}")
                chunks.append(ANSI.sub("", data.decode("utf-8", "replace")).replace("\r", ""))
                text = "".join(chunks)
        except TimeoutError:
            raise DeviceTimeout(self.name, f"no answer to {what} within {timeout:g} s") from None
        except OSError as exc:
            raise DeviceError(self.name, f"session lost: {exc}") from None
        return text

    def close(self) -> None:
        if self._chan is not None:
            self._chan.close()
            self._chan = None
        self._exec.close()
