"""The one small protocol every device driver follows (NAPALM's lifecycle, without its stubs).

``get_config`` → ``diff`` (pure, sipelangi_net.change.diff) → ``arm`` (device-side revert timer) →
``push`` → post-checks → ``confirm`` or ``rollback``. Drivers connect explicitly (``open``)
and never in their constructor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sipelangi_net.credentials import Credentials
    from sipelangi_net.platforms import Platform


class DeviceDriver(Protocol):
    name: str
    platform: str

    def open(self) -> None:
        """Connect (SSH with verified host key)."""
        ...

    def get_config(self) -> str:
        """The running configuration, in the form the diff stage reads for this platform."""
        ...

    def arm(self, seconds: int) -> None:
        """Snapshot the running config and start the device's revert timer (commit-confirm)."""
        ...

    def push(self, commands: Sequence[str]) -> str:
        """Send ``commands``; raise DeviceError when the device rejects one. Returns the session log."""
        ...

    def confirm(self) -> None:
        """Keep the change: cancel the revert timer."""
        ...

    def rollback(self) -> None:
        """Restore the snapshot now (and disarm)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ScopeServer:
    """The city's central DHCP server as a target of a change (``servers.yaml`` ``dhcp``): a driver
    factory given one opens its :class:`ScopeControl` instead of a device driver."""

    name: str
    control_url: str


class ScopeControl(Protocol):
    """What a change needs of the central DHCP server (sipelangi_net.drivers.kea.KeaControl):
    its scopes (Kea ``subnet4`` entries), read and set as a whole list."""

    def subnets(self) -> list[dict[str, Any]]: ...

    def set_subnets(self, subnets: Sequence[dict[str, Any]]) -> None:
        """Make ``subnets`` the server's list, read it back and check it (DeviceError when the
        server holds another list afterwards)."""
        ...

    def close(self) -> None: ...


class DriverBase:
    """What every driver keeps from the registry's keyword-only constructor; it connects in ``open``."""

    def __init__(self, *, name: str, host: str, port: int, platform: Platform, creds: Credentials) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.platform = platform.value
        self._platform = platform
        self._creds = creds
