"""``lab status``: is the lab up, and does every device answer?"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sipelangi_net.credentials import Credentials, load_credentials
from sipelangi_net.errors import SipelangiError
from sipelangi_net.lab.runtime import LabPaths, netns_path, our_netns, read_json
from sipelangi_net.platforms import PLATFORMS

Health = Literal["up", "stale", "down"]
PROBE = {p.value: s.lab.probe for p, s in PLATFORMS.items() if s.lab is not None}
"""Per lab platform (its spec's ``lab.probe``): the command whose answer names the device."""


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    name: str
    platform: str
    host: str
    port: int
    answers: bool
    identity: str
    error: str


@dataclass(frozen=True, slots=True)
class HostStatus:
    name: str
    netns: bool


@dataclass(frozen=True, slots=True)
class LabStatus:
    state: Health
    problems: tuple[str, ...]
    devices: tuple[DeviceStatus, ...]
    hosts: tuple[HostStatus, ...]

    @property
    def healthy(self) -> bool:
        return self.state == "up"

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "problems": list(self.problems),
            "devices": [asdict(d) for d in self.devices],
            "hosts": [asdict(h) for h in self.hosts],
        }


def _identity(platform: str, output: str) -> str:
    if platform == "frr":
        # "FRRouting 8.4.4 (core-diskominfo) on Linux(...)."
        head = output.strip().splitlines()[0] if output.strip() else ""
        return head.split("(", 1)[1].split(")", 1)[0] if "(" in head else ""
    return output.strip()


def probe(
    name: str, platform: str | None, host: str | None, port: int | None, creds: Credentials | None
) -> DeviceStatus:
    """Log in to one lab device and check that it answers with its own name."""
    from sipelangi_net.drivers.ssh import exec_command

    platform, host, port = str(platform), str(host), int(port or 22)
    if not netns_path(name).exists():
        return DeviceStatus(name, platform, host, port, False, "", "network namespace missing")
    if creds is None:
        return DeviceStatus(name, platform, host, port, False, "", "no credentials")
    try:
        out = exec_command(name, host, port, creds, PROBE.get(platform, "hostname"), timeout=5)
    except SipelangiError as exc:
        return DeviceStatus(name, platform, host, port, False, "", str(exc))
    identity = _identity(platform, out)
    error = "" if identity == name else f"answers as {identity!r}"
    return DeviceStatus(name, platform, host, port, identity == name, identity, error)


def lab_status(paths: LabPaths) -> LabStatus:
    manifest = read_json(paths.manifest)
    if manifest is None:
        leftovers = our_netns()
        if leftovers:
            return LabStatus(
                "stale",
                (f"{len(leftovers)} lab namespaces without a manifest; run 'lab down'",),
                (),
                (),
            )
        return LabStatus("down", (), (), ())
    problems: list[str] = []
    if manifest.get("state") != "up":
        problems.append(f"lab up did not finish (state {manifest.get('state')!r}); run 'lab down'")
    creds: Credentials | None
    try:
        creds = load_credentials(paths.secrets) if paths.secrets.exists() else None
    except SipelangiError as exc:
        problems.append(str(exc))
        creds = None
    nodes: dict[str, dict[str, Any]] = manifest.get("nodes", {})
    devices = {n: i for n, i in nodes.items() if i.get("kind") != "host"}
    with ThreadPoolExecutor(16) as pool:
        dev_status = tuple(
            pool.map(
                lambda kv: probe(kv[0], kv[1]["platform"], kv[1]["host"], kv[1]["port"], creds),
                devices.items(),
            )
        )
    hosts = tuple(HostStatus(n, netns_path(n).exists()) for n, i in nodes.items() if i.get("kind") == "host")
    problems += [f"{d.name}: {d.error}" for d in dev_status if not d.answers]
    problems += [f"{h.name}: network namespace missing" for h in hosts if not h.netns]
    return LabStatus("stale" if problems else "up", tuple(problems), dev_status, hosts)
