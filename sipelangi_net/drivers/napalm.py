"""NAPALM deploy driver for Arista EOS (eAPI over HTTPS) and Juniper Junos (NETCONF over SSH).

Both platforms own a commit-confirm, reached through napalm 5.2's ``commit_config(revert_in=N)``:

* EOS: the change is loaded into a *configuration session* (``configure session napalm_...``)
  and committed with ``configure session ... commit timer HH:MM:SS``; EOS aborts the session
  (restores the previous config) by itself when the timer runs out. ``confirm_commit`` sends
  ``configure session ... commit`` + ``write memory``; ``rollback`` sends ``configure session
  ... abort`` + ``write memory``.
* Junos: the change is loaded into the candidate (``load-configuration action="set"``, under an
  exclusive lock) and committed with ``commit confirmed M`` (whole minutes: N rounded up);
  Junos rolls back by itself after M minutes. ``confirm_commit`` is a plain ``commit``;
  ``rollback`` is ``rollback 1`` + ``commit``.

So the revert timer is armed in the same device operation that activates the change: nothing
runs unprotected. ``arm`` records the timeout and refuses when the device already has a pending
commit-confirm (someone else's change would be confirmed or lost); ``push`` loads and commits
with the timer. A line the device refuses is refused at load time, before anything is active.

Host identity: EOS eAPI's certificate is verified (``ssl.create_default_context()``: the system
CA store, or the file named by ``SSL_CERT_FILE``); Junos' SSH host key is checked against the
credentials' known_hosts (PyEZ's default is not to check, so this driver builds the PyEZ
``Device`` with ``hostkey_verify=True``, ``gather_facts=False`` and an ssh_config naming the file).
"""

from __future__ import annotations

import contextlib
import math
import os
import ssl
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.base import DriverBase
from sipelangi_net.drivers.cli import connect_error, first_line
from sipelangi_net.errors import DeviceError
from sipelangi_net.logs import register_secret
from sipelangi_net.platforms import Platform, spec_for


def revert_seconds(platform: Platform, seconds: int) -> int:
    """``seconds`` rounded up to the unit the device's revert timer counts in (its spec's
    ``deploy.revert_unit``: Junos counts ``commit confirmed`` in whole minutes; EOS takes seconds)."""
    unit = spec_for(platform).deploy.revert_unit
    return unit * max(1, math.ceil(seconds / unit))


class NapalmDriver(DriverBase):
    """:class:`~sipelangi_net.drivers.base.DeviceDriver` for ``arista_eos`` and ``juniper_junos``."""

    def __init__(self, *, name: str, host: str, port: int, platform: Platform, creds: Credentials) -> None:
        super().__init__(name=name, host=host, port=port, platform=platform, creds=creds)
        self._dev: Any = None
        self._seconds: int | None = None
        self._committed = False
        self._ssh_config: Path | None = None

    # --- connection --------------------------------------------------------------------------

    def open(self) -> None:
        from napalm import get_network_driver

        register_secret(self._creds.password)
        spec = spec_for(self._platform)
        driver = get_network_driver(spec.napalm_driver)
        if spec.deploy.napalm_transport == "eapi":
            args: dict[str, Any] = {
                "transport": "https",
                "port": self.port,
                "context": ssl.create_default_context(),
            }
        else:
            args = {"port": self.port, "key_file": str(self._creds.ssh_key) if self._creds.ssh_key else None}
        dev = driver(
            hostname=self.host,
            username=self._creds.username,
            password=self._creds.password or "",
            timeout=60,
            optional_args=args,
        )
        if spec.deploy.napalm_transport == "pyez":
            dev.device = self._junos_device()
        try:
            dev.open()
        except Exception as exc:
            raise connect_error(self.name, self.host, self.port, _cause(exc)) from None
        self._dev = dev

    def _junos_device(self) -> Any:
        """PyEZ ``Device`` as napalm builds it, but verifying the host key and gathering no facts."""
        from jnpr.junos import Device  # type: ignore[import-untyped]

        known_hosts = self._creds.known_hosts or Path.home() / ".ssh" / "known_hosts"
        fd, name = tempfile.mkstemp(prefix="sipelangi-ssh-", suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write(f"Host *\n  UserKnownHostsFile {known_hosts}\n  StrictHostKeyChecking yes\n")
        self._ssh_config = Path(name)
        return Device(
            self.host,
            user=self._creds.username,
            password=self._creds.password,
            port=self.port,
            ssh_private_key_file=str(self._creds.ssh_key) if self._creds.ssh_key else None,
            ssh_config=name,
            hostkey_verify=True,
            gather_facts=False,
            look_for_keys=False,
            allow_agent=False,
        )

    @property
    def dev(self) -> Any:
        if self._dev is None:
            raise DeviceError(self.name, "not connected (call open first)")
        return self._dev

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # napalm, pyeapi, PyEZ and ncclient raise many types
            raise DeviceError(self.name, f"{what}: {_describe(exc)}") from None

    # --- the protocol ------------------------------------------------------------------------

    def get_config(self) -> str:
        fmt = "set" if spec_for(self._platform).config.format == "set" else "text"
        config = self._call("reading the running config", self.dev.get_config, retrieve="running", format=fmt)
        return str(config["running"])

    def arm(self, seconds: int) -> None:
        if self._call("asking for pending commits", self.dev.has_pending_commit):
            raise DeviceError(
                self.name, "a commit-confirm is already pending on the device: confirm or roll it back first"
            )
        self._seconds = revert_seconds(self._platform, seconds)

    def push(self, commands: Sequence[str]) -> str:
        if not commands:
            return ""
        if self._seconds is None:
            raise DeviceError(self.name, "push before arm: the revert timer must be armed first")
        self._call("rejected the change", self.dev.load_merge_candidate, config="\n".join(commands))
        diff = str(self._call("comparing the candidate", self.dev.compare_config))
        self._call("commit with revert timer", self.dev.commit_config, revert_in=self._seconds)
        self._committed = True
        return diff

    def confirm(self) -> None:
        self._call("confirm", self.dev.confirm_commit)
        self._committed = False

    def rollback(self) -> None:
        if not self._committed:
            self._call("discarding the candidate", self.dev.discard_config)
            return
        self._call("rollback", self.dev.rollback)
        self._committed = False

    def ping(self, destination: str, *, source: str) -> None:
        """Raise unless ``destination`` answers pings sent from the address ``source``."""
        result = self._call("ping", self.dev.ping, destination, source=source, count=5)
        ok = result.get("success") if isinstance(result, dict) else None
        if not ok or ok.get("packet_loss", 1) >= ok.get("probes_sent", 0):
            why = result.get("error", "no answer") if isinstance(result, dict) else result
            raise DeviceError(self.name, f"{destination} does not answer from {source}: {first_line(why)}")

    def close(self) -> None:
        if self._dev is not None:
            with contextlib.suppress(Exception):  # closing a dead session is not an error
                self._dev.close()
            self._dev = None
        if self._ssh_config is not None:
            self._ssh_config.unlink(missing_ok=True)
            self._ssh_config = None


def _cause(exc: BaseException) -> BaseException:
    """PyEZ wraps the transport's error (``ConnectError._orig``): use the innermost one."""
    inner = getattr(exc, "_orig", None) or exc.__cause__ or exc.__context__
    return inner if isinstance(inner, BaseException) else exc


def _describe(exc: BaseException) -> str:
    errs = getattr(exc, "errs", None)  # PyEZ ConfigLoadError / CommitError: the device's messages
    if isinstance(errs, list) and errs:
        return "; ".join(str(e.get("message", e)).strip() if isinstance(e, dict) else str(e) for e in errs)
    return first_line(exc)
