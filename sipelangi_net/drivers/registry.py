"""The deploy driver of every platform: one registry, platform differences as data.

:data:`~sipelangi_net.platforms.PLATFORMS` names each platform's ``deploy_driver``; :data:`DRIVERS`
maps that name to the class (imported lazily, so napalm and netmiko load only when a device of
theirs is deployed). :func:`open_driver` is the ``driver_factory`` of
:func:`sipelangi_net.change.push.deploy`.

Reachability (SOP step 7 post-check on real networks): drivers that can ``ping(destination,
source=...)`` let :func:`reachability` check, from the OPD gateway address of the gateway device,
that every application server the plan permits answers. The lab uses its own probe instead
(sipelangi_net.lab.probe: a real PC in the OPD subnet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol, cast, runtime_checkable

from sipelangi_net.credentials import Credentials
from sipelangi_net.drivers.base import DeviceDriver, ScopeServer
from sipelangi_net.errors import DeviceError
from sipelangi_net.platforms import Platform, resolve, spec_for

DRIVERS: Mapping[str, str] = MappingProxyType(
    {
        "lab": "sipelangi_net.drivers.lab:LabDriver",
        "ios": "sipelangi_net.drivers.ios:IosDriver",
        "napalm": "sipelangi_net.drivers.napalm:NapalmDriver",
        "routeros": "sipelangi_net.drivers.routeros:RouterOSDriver",
    }
)
"""``PlatformSpec.deploy_driver`` → ``module:Class`` of a DeviceDriver with the keyword-only
constructor ``(name=, host=, port=, platform=, creds=)``."""


@runtime_checkable
class Pinger(Protocol):
    """The optional post-check capability: ping from an address of the device."""

    def ping(self, destination: str, *, source: str) -> None: ...


def driver_class(platform: Platform) -> Callable[..., DeviceDriver]:
    made: Callable[..., DeviceDriver] = resolve(DRIVERS[spec_for(platform).deploy.driver])
    return made


def open_driver(device: Any, creds: Credentials) -> DeviceDriver:
    """A (not yet connected) driver for an inventory :class:`~sipelangi_net.inventory.Device`: on the
    device's ``data.api_port`` when it names one (the driver's API is not on the SSH port), else ``port``.

    Given the central DHCP server (:class:`~sipelangi_net.drivers.base.ScopeServer`), the client of
    its Kea Control Agent instead: the change opens every target through one factory."""
    if isinstance(device, ScopeServer):
        from sipelangi_net.drivers.kea import KeaControl

        control: Any = KeaControl(
            name=device.name, url=device.control_url, username=creds.username, password=creds.password
        )
        return cast(DeviceDriver, control)
    port = device.data.api_port or device.port
    return driver_class(device.platform)(
        name=device.name, host=device.hostname, port=port, platform=device.platform, creds=creds
    )


def reach_targets(plan: Any) -> tuple[str, str, tuple[str, ...]] | None:
    """(gateway device, OPD gateway address, application servers) of ``plan``, or None."""
    gateway = next((p.device for p in plan.ports if p.role == "gateway"), None)
    if gateway is None or plan.addressing is None:
        return None
    servers = sorted({str(r.destination) for r in plan.access_rules if r.name not in ("dns", "ntp")})
    return gateway, str(plan.addressing.gateway.ip), tuple(servers)


def reachability(
    plan: Any, factory: Callable[[Any, Credentials], DeviceDriver] = open_driver
) -> tuple[Callable[[Any, Credentials], DeviceDriver], Callable[[], None] | None]:
    """A driver factory that remembers the drivers it made, and the post-check that uses them.

    The check pings every permitted application server from the OPD gateway address on the
    gateway device; a gateway driver without ``ping`` is a DeviceError (nothing is confirmed
    unverified). ``None`` when the plan has no gateway (nothing routed to check).
    """
    targets = reach_targets(plan)
    made: dict[str, DeviceDriver] = {}

    def remembering(device: Any, creds: Credentials) -> DeviceDriver:
        driver = factory(device, creds)
        made[device.name] = driver
        return driver

    if targets is None:
        return factory, None
    gateway, source, servers = targets

    def check() -> None:
        driver = made.get(gateway)
        if not isinstance(driver, Pinger):
            raise DeviceError(gateway, "its driver cannot ping: no reachability post-check possible")
        for server in servers:
            driver.ping(server, source=source)

    return remembering, check
