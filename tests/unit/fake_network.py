"""A fake network for the change path: devices that keep state, a revert timer, and faults on cue.

Each :class:`FakeDevice` outlives the sessions to it, like a real one: its running config, the
snapshot its timer restores, whether its management path answers. :class:`FakeNetwork` is a
``driver_factory`` for :func:`sipelangi_net.change.push.deploy`; its drivers follow the
DeviceDriver protocol and apply what they are sent (FRR: the lines are added to the running
config, ``no LINE`` removes one; OVS: ``ovs-vsctl set/remove port`` on the port table), so the
post-push check reads real results. Faults are data: ``fail(device, verb)`` makes that verb
raise a DeviceError as the device would; ``after(device, verb, fn)`` runs ``fn`` once the verb
has been done (cut the management path right after the arm, say). Nothing is patched.

The central DHCP server of a change whose gateway relays is the real thing: a Kea server the test
started (tests/unit/kea_server.py), reached through the toolkit's own client; the network adds its
faults on cue (``fail(server, "subnets")`` or ``"set_subnets"``).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sipelangi_net.drivers.base import ScopeServer
from sipelangi_net.drivers.kea import KeaControl
from sipelangi_net.errors import DeviceError

VERBS = ("open", "get_config", "arm", "push", "confirm", "rollback", "subnets", "set_subnets")


def empty_ovs(ports: int = 8) -> str:
    rows = [[f"eth{i}", ["set", []], ["map", []]] for i in range(ports)]
    return json.dumps({"headings": ["name", "tag", "external_ids"], "data": rows})


@dataclass
class FakeDevice:
    name: str
    platform: str
    running: str
    snapshot: str | None = None
    """What the armed timer restores; ``None`` when not armed."""
    reachable: bool = True
    received: list[str] = field(default_factory=list)
    """The verbs this device carried out, in order."""

    def expire(self) -> None:
        """The device's own revert timer fires: back to the snapshot, disarmed."""
        if self.snapshot is not None:
            self.running, self.snapshot = self.snapshot, None
            self.received.append("expired")

    def apply(self, commands: Sequence[str]) -> None:
        if self.platform == "ovs":
            self.running = _ovs_apply(self.running, commands)
        else:
            lines = self.running.removesuffix("end\n").rstrip("\n").split("\n")
            for command in commands:
                if command.startswith("no ") and command[3:] in lines:
                    lines.remove(command[3:])
                else:
                    lines.append(command)
            self.running = "\n".join(lines) + "\nend\n"


def _ovs_apply(running: str, commands: Sequence[str]) -> str:
    doc = json.loads(running)
    rows = {row[0]: row for row in doc["data"]}
    for command in commands:
        argv = shlex.split(command)
        row = rows[argv[3]]
        ids = dict(row[2][1])
        if argv[1] == "remove":
            ids.pop(argv[-1], None)
        for setting in argv[4:] if argv[1] == "set" else ():
            key, _, value = setting.partition("=")
            if key == "tag":
                row[1] = ["set", []] if value == "[]" else int(value)
            else:
                ids[key.removeprefix("external_ids:")] = json.loads(value) if value.startswith('"') else value
        row[2] = ["map", sorted(ids.items())]
    return json.dumps(doc)


class FakeNetwork:
    """The devices of a test, by name, and the faults they will show."""

    def __init__(self, devices: dict[str, FakeDevice], kea: Any = None) -> None:
        self.devices = devices
        self.kea = kea
        """The test's real Kea server (kea_server.running_kea), or None: no central DHCP server."""
        self._fail: dict[tuple[str, str], str] = {}
        self._after: dict[tuple[str, str], Callable[[], None]] = {}
        self.opened: list[FakeDriver] = []
        self.scopes: list[ScopeSession] = []

    @classmethod
    def blank(cls, intended: dict[str, Any], kea: Any = None) -> FakeNetwork:
        """Devices with nothing configured yet, one per rendered intended config; ``kea``'s scopes emptied."""
        network = cls(
            {
                name: FakeDevice(
                    name, i.platform, empty_ovs() if i.platform == "ovs" else f"hostname {name}\nend\n"
                )
                for name, i in intended.items()
            },
            kea,
        )
        if kea is not None:
            with network.kea_client("kea") as control:
                control.set_subnets([])
        return network

    def kea_client(self, name: str) -> KeaControl:
        from kea_server import PASSWORD, USER

        assert self.kea is not None, "the change needs the central DHCP server: build the network with kea="
        return KeaControl(name=name, url=self.kea.url, username=USER, password=PASSWORD)

    def subnets(self) -> list[dict[str, Any]]:
        """What the test's Kea server holds now."""
        with self.kea_client("kea") as control:
            return control.subnets()

    def fail(self, device: str, verb: str, message: str = "") -> None:
        assert verb in VERBS
        self._fail[(device, verb)] = message or f"{verb} refused"

    def after(self, device: str, verb: str, fn: Callable[[], None]) -> None:
        self._after[(device, verb)] = fn

    def cut(self, device: str) -> None:
        """The device's management path is gone (its sshd, say): every session to it fails."""
        self.devices[device].reachable = False

    def driver(self, device: Any, _creds: Any) -> Any:
        """The ``driver_factory``: a device's fake driver, or a session to the real Kea server."""
        if isinstance(device, ScopeServer):
            session = ScopeSession(self, device.name, self.kea_client(device.name))
            self.scopes.append(session)
            return session
        drv = FakeDriver(self, self.devices[device.name])
        self.opened.append(drv)
        return drv

    def verbs(self, device: str) -> list[str]:
        return self.devices[device].received

    def carried_out(self, verb: str) -> set[str]:
        """The devices that carried out ``verb``."""
        return {n for n, d in self.devices.items() if verb in d.received}

    def _do(self, dev: FakeDevice, verb: str, action: Callable[[], Any]) -> Any:
        if not dev.reachable:
            raise DeviceError(dev.name, "cannot connect: [Errno 111] Connection refused")
        if (dev.name, verb) in self._fail:
            raise DeviceError(dev.name, self._fail[(dev.name, verb)])
        result = action()
        dev.received.append(verb)
        hook = self._after.pop((dev.name, verb), None)
        if hook is not None:
            hook()
        return result


class FakeDriver:
    """A session to one :class:`FakeDevice` (the DeviceDriver protocol)."""

    def __init__(self, network: FakeNetwork, device: FakeDevice) -> None:
        self.network, self.device = network, device
        self.name, self.platform = device.name, device.platform
        self.closed = False

    def open(self) -> None:
        self.network._do(self.device, "open", lambda: None)

    def get_config(self) -> str:
        return str(self.network._do(self.device, "get_config", lambda: self.device.running))

    def arm(self, seconds: int) -> None:
        def arm() -> None:
            self.device.snapshot = self.device.running

        self.network._do(self.device, "arm", arm)

    def push(self, commands: Sequence[str]) -> str:
        self.network._do(self.device, "push", lambda: self.device.apply(commands))
        return ""

    def confirm(self) -> None:
        def confirm() -> None:
            if self.device.snapshot is None:
                raise DeviceError(self.name, "commit-confirm confirm: nothing is armed")
            self.device.snapshot = None

        self.network._do(self.device, "confirm", confirm)

    def rollback(self) -> None:
        def rollback() -> None:
            if self.device.snapshot is None:
                raise DeviceError(self.name, "commit-confirm rollback: nothing is armed")
            self.device.running, self.device.snapshot = self.device.snapshot, None

        self.network._do(self.device, "rollback", rollback)

    def close(self) -> None:
        self.closed = True


class ScopeSession:
    """A session to the test's real Kea server (the toolkit's KeaControl), faults on cue."""

    def __init__(self, network: FakeNetwork, name: str, control: KeaControl) -> None:
        self.network, self.name, self.control = network, name, control
        self.closed = False

    def _check(self, verb: str) -> None:
        if (self.name, verb) in self.network._fail:
            raise DeviceError(self.name, self.network._fail[(self.name, verb)])

    def subnets(self) -> list[dict[str, Any]]:
        self._check("subnets")
        return self.control.subnets()

    def set_subnets(self, subnets: Sequence[dict[str, Any]]) -> None:
        self._check("set_subnets")
        self.control.set_subnets(subnets)
        hook = self.network._after.pop((self.name, "set_subnets"), None)
        if hook is not None:
            hook()

    def close(self) -> None:
        self.control.close()
        self.closed = True
