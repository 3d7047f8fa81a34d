"""One command over SSH with strict host-key checking (paramiko exec channel).

Used where a whole interactive session is not needed (status probes). Host keys
are verified against the known_hosts file of the credentials; an unknown or
changed key is refused, exactly as for a real device.
"""

from __future__ import annotations

from pathlib import Path

from sipelangi_net.credentials import Credentials
from sipelangi_net.errors import DeviceAuthError, DeviceError, DeviceTimeout, HostKeyError


def _known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def exec_command(
    name: str, host: str, port: int, creds: Credentials, command: str, *, timeout: float = 5.0
) -> str:
    """Run ``command`` on the device ``name`` at ``host:port``; return its output."""
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
        )
        _stdin, stdout, _stderr = client.exec_command(command, timeout=timeout)
        return str(stdout.read().decode("utf-8", "replace"))
    except paramiko.BadHostKeyException:
        raise HostKeyError(
            name,
            f"host key of {host}:{port} differs from {known_hosts}: refusing to connect"
            " (possible man-in-the-middle; if the device was replaced, update known_hosts)",
        ) from None
    except paramiko.SSHException as exc:
        if "not found in known_hosts" in str(exc):
            raise HostKeyError(
                name, f"host key of {host}:{port} is not in {known_hosts}: refusing to connect"
            ) from None
        if isinstance(exc, paramiko.AuthenticationException):
            raise DeviceAuthError(name, f"authentication as {creds.username} refused") from None
        raise DeviceError(name, f"SSH error: {exc}") from None
    except TimeoutError:
        raise DeviceTimeout(name, f"no answer from {host}:{port} within {timeout:.0f} s") from None
    except OSError as exc:
        raise DeviceError(name, f"cannot reach {host}:{port}: {exc.strerror or exc}") from None
    finally:
        client.close()
