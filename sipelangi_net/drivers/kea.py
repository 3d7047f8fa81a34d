"""The central DHCP server: ISC Kea, through its Control Agent's HTTP API only.

``KeaControl`` posts Kea commands (``{"command": ..., "service": ["dhcp4"], "arguments": ...}``)
with HTTP basic authentication and reads the Control Agent's answer (a list with one answer per
service). It changes one thing, the server's ``subnet4`` list (:meth:`KeaControl.set_subnets`):
``config-get``, the list replaced, ``config-test``, ``config-set``, the list read back and
compared, ``config-write`` so a restart keeps it. Plain ``http://`` is refused except to a
loopback address (the lab's Control Agent): the password travels in every request.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from sipelangi_net.change.dhcp import parse_shared_subnets, parse_subnets
from sipelangi_net.errors import DeviceAuthError, DeviceError, DeviceTimeout, InventoryError
from sipelangi_net.validate import is_loopback

log = logging.getLogger(__name__)

SERVICE = "dhcp4"


def check_url(name: str, url: str) -> httpx.URL:
    """``url`` as the Control Agent's address: https, or http to a loopback address; no userinfo."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise InventoryError(f"{name}: Kea Control Agent URL {url!r} is not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InventoryError(f"{name}: Kea Control Agent URL {url!r}: expected https://HOST[:PORT]/")
    if parsed.userinfo:
        raise InventoryError(
            f"{name}: Kea Control Agent URL {parsed.copy_with(username=None, password=None)} holds a "
            "user name or password; put them in the secrets file instead"
        )
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        raise InventoryError(
            f"{name}: Kea Control Agent URL {url} is plain http to {parsed.host}: the password would "
            "cross the network in clear text; use https for a real server (http only to 127.0.0.1)"
        )
    return parsed


class KeaControl:
    """One Kea DHCPv4 server, reached through its Control Agent (no I/O before the first command)."""

    def __init__(
        self,
        *,
        name: str,
        url: str,
        username: str,
        password: str | None,
        timeout: float = 10.0,
        verify: bool | str = True,
    ) -> None:
        self.name = name
        self.url = str(check_url(name, url))
        self._username = username
        self._password = password
        self._timeout = timeout
        self._verify = verify
        self._client: httpx.Client | None = None

    def __enter__(self) -> KeaControl:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ----------------------------------------------------------------------- commands

    def command(self, command: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """Send one command to the DHCPv4 server; its ``arguments`` (None when it has none)."""
        body: dict[str, Any] = {"command": command, "service": [SERVICE]}
        if arguments is not None:
            body["arguments"] = dict(arguments)
        log.debug("%s: %s to %s", self.name, command, self.url)
        response = self._post(command, body)
        answer = self._answer(command, response)
        result, text = answer.get("result"), answer.get("text", "")
        if result != 0:
            raise self._error(f"{command} refused (result {result}): {text}")
        return answer.get("arguments")

    def get_config(self) -> dict[str, Any]:
        """The server's running configuration (``config-get``), without its ``hash``."""
        arguments = self.command("config-get")
        if not isinstance(arguments, Mapping) or not isinstance(arguments.get("Dhcp4"), Mapping):
            raise self._error("config-get answered without a Dhcp4 configuration")
        return {key: value for key, value in arguments.items() if key != "hash"}

    def subnets(self) -> list[dict[str, Any]]:
        """The server's ``subnet4`` list, checked (:func:`~sipelangi_net.change.dhcp.parse_subnets`)."""
        return parse_subnets(self.name, self.get_config())

    def shared_subnets(self) -> list[dict[str, Any]]:
        """The subnets of the server's ``shared-networks``: ``with_scope(..., shared=...)`` keeps off them."""
        return parse_shared_subnets(self.name, self.get_config())

    def set_subnets(self, subnets: Sequence[Mapping[str, Any]]) -> None:
        """Make ``subnets`` the server's ``subnet4`` list, tested, applied, read back and written."""
        config = self.get_config()
        wanted = [dict(entry) for entry in subnets]
        dhcp4 = dict(config["Dhcp4"])
        dhcp4["subnet4"] = wanted
        new = {**config, "Dhcp4": dhcp4}
        self.command("config-test", new)
        self.command("config-set", new)
        back = {entry["id"]: entry for entry in self.subnets()}  # Kea prints them in id order
        differ = sorted(
            {entry.get("id") for entry in wanted if not _holds(back.get(entry.get("id")), entry)}
            | (set(back) - {entry.get("id") for entry in wanted}),
            key=str,
        )
        if differ:
            raise self._error(
                "after config-set the server's subnet4 list is not the one that was set (subnet ids "
                f"{', '.join(map(str, differ))} differ); check the server before retrying"
            )
        try:
            self.command("config-write")
        except DeviceError as exc:
            raise self._error(
                f"the new subnet4 list runs but was not saved, so a restart would lose it ({exc})"
            ) from None

    # ----------------------------------------------------------------------- HTTP

    def _http(self) -> httpx.Client:
        if self._client is None:
            verify: bool | ssl.SSLContext = self._verify if isinstance(self._verify, bool) else True
            if isinstance(self._verify, str):
                verify = ssl.create_default_context(cafile=self._verify)
            auth = httpx.BasicAuth(self._username, self._password or "")
            self._client = httpx.Client(auth=auth, timeout=self._timeout, verify=verify)
        return self._client

    def _post(self, command: str, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self._http().post(self.url, json=body)
        except httpx.TimeoutException:
            raise DeviceTimeout(
                self.name, self._safe(f"{self.url}: no answer to {command} in {self._timeout:g} s")
            ) from None
        except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
            raise self._error(f"cannot reach the Kea Control Agent ({type(exc).__name__}: {exc})") from None
        if response.status_code in (401, 403):
            raise DeviceAuthError(
                self.name,
                self._safe(
                    f"{self.url}: credentials refused (HTTP {response.status_code}) for user "
                    f"{self._username!r}; check the Kea Control Agent's secret"
                ),
            )
        if response.status_code != 200:
            raise self._error(f"{command}: HTTP {response.status_code}: {response.text[:200]}")
        return response

    def _answer(self, command: str, response: httpx.Response) -> Mapping[str, Any]:
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._error(f"{command}: the answer is not JSON: {response.text[:120]!r}") from None
        answer = payload[0] if isinstance(payload, list) and payload else payload
        if not isinstance(answer, Mapping) or not isinstance(answer.get("result"), int):
            raise self._error(f"{command}: the answer has no result: {str(payload)[:120]!r}")
        return answer

    def _error(self, message: str) -> DeviceError:
        return DeviceError(self.name, self._safe(f"{self.url}: {message}"))

    def _safe(self, message: str) -> str:
        """``message`` with the password blanked, should any answer or library echo it."""
        if self._password:
            message = message.replace(self._password, "********")
        return message


def _holds(got: Any, wanted: Any) -> bool:
    """Whether ``got`` (read back) holds ``wanted``: every key set has its value; Kea adds defaults."""
    if isinstance(wanted, Mapping):
        return isinstance(got, Mapping) and all(k in got and _holds(got[k], v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(got, list) and len(got) == len(wanted) and all(map(_holds, got, wanted))
    if isinstance(wanted, str):  # Kea prints a "a - b" pool as "a-b"
        return isinstance(got, str) and "".join(got.split()) == "".join(wanted.split())
    return bool(got == wanted and type(got) is type(wanted))
