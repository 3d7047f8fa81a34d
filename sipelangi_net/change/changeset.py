"""The change set: per device the exact commands, frozen with the running config they were made from.

The diff stage makes it; the engineer's confirmation approves it (its :attr:`ChangeSet.digest`
is what is shown and may be given back as ``--change-set``); the push sends exactly its
commands, and only to devices whose running config still has the digest the diff read. A
device changed in between is refused before anything is sent to any device of the change.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sipelangi_net.capped import read_capped_text
from sipelangi_net.errors import ChangedSince, ConfigError

MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DeviceChange:
    device: str
    platform: str
    running_sha256: str
    """SHA-256 of the normalised running config the commands were computed from."""
    commands: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.commands)


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """The OPD's DHCP scope on the city's central DHCP server (sipelangi_net.change.dhcp), for a
    gateway that relays: what is sent, and the server's scopes it was computed from."""

    server: str
    running_sha256: str
    """SHA-256 of the server's scopes (their canonical lines) the commands were computed from."""
    commands: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.commands)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What one change sends, device by device (sorted by name), and the DHCP scope if any."""

    ticket_id: str
    devices: tuple[DeviceChange, ...]
    dhcp: ScopeChange | None = None

    @property
    def digest(self) -> str:
        """SHA-256 of the whole change set: the identity the engineer approves."""
        body: list[object] = [
            [d.device, d.platform, d.running_sha256, list(d.commands)] for d in self.devices
        ]
        if self.dhcp is not None:
            body.append(["dhcp", self.dhcp.server, self.dhcp.running_sha256, list(self.dhcp.commands)])
        return hashlib.sha256(json.dumps([self.ticket_id, body]).encode()).hexdigest()

    @property
    def changed(self) -> tuple[str, ...]:
        """The devices that get commands."""
        return tuple(d.device for d in self.devices if d.changed)

    def running_digests(self) -> dict[str, str]:
        """Per target (device, and the DHCP server if any) the digest its commands were computed from."""
        digests = {d.device: d.running_sha256 for d in self.devices}
        if self.dhcp is not None:
            digests[self.dhcp.server] = self.dhcp.running_sha256
        return digests

    def of(self, device: str) -> DeviceChange:
        return next(d for d in self.devices if d.device == device)

    def check_current(self, running: Mapping[str, str]) -> None:
        """Raise :class:`ChangedSince` naming every device whose running digest is not the approved one.

        ``running``: device → digest of its running config read now, for the same devices.
        """
        approved = self.running_digests()
        if set(running) != set(approved):
            extra = sorted(set(running) ^ set(approved))
            raise ChangedSince(
                self.ticket_id,
                f"the devices of the change are not the approved ones ({', '.join(extra)});"
                " nothing was pushed to any device: run the diff again and confirm it",
            )
        moved = sorted(name for name, digest in running.items() if digest != approved[name])
        if moved:
            raise ChangedSince(
                self.ticket_id,
                f"{', '.join(moved)}: the running config changed since the diff was confirmed;"
                " nothing was pushed to any device: run the diff again and confirm the new one",
            )


def to_json(change: ChangeSet) -> str:
    """The change set as the JSON file ``diff`` saves (``reports/<ticket>/change-set.json``)."""
    return json.dumps(
        {
            "ticket_id": change.ticket_id,
            "digest": change.digest,
            "devices": [
                {
                    "device": d.device,
                    "platform": d.platform,
                    "running_sha256": d.running_sha256,
                    "commands": list(d.commands),
                }
                for d in change.devices
            ],
            **({"dhcp": _scope_json(change.dhcp)} if change.dhcp is not None else {}),
        },
        indent=2,
        ensure_ascii=False,
    )


def _scope_json(scope: ScopeChange) -> dict[str, object]:
    return {"server": scope.server, "running_sha256": scope.running_sha256, "commands": list(scope.commands)}


def _scope(path: Path, d: object) -> ScopeChange | None:
    if d is None:
        return None
    where = f"{path}: dhcp"
    if not isinstance(d, dict) or not isinstance(d.get("commands"), list):
        raise ConfigError(f"{where}: not a DHCP scope change")
    return ScopeChange(
        server=_text(f"{where}.server", d.get("server"), pattern=r"[A-Za-z0-9._-]{1,64}"),
        running_sha256=_text(f"{where}.running_sha256", d.get("running_sha256"), pattern=r"[0-9a-f]{64}"),
        commands=tuple(_text(f"{where}.commands", c) for c in d["commands"]),
    )


def _text(where: str, value: object, *, pattern: str = r"[^\x00-\x1f\x7f]{1,4096}") -> str:
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise ConfigError(f"{where}: not a valid value ({str(value)[:60]!r})")
    return value


def from_json(path: Path, ticket_id: str, digest: str) -> ChangeSet:
    """The change set saved at ``path`` for ``ticket_id``, whose digest starts with ``digest``.

    The file is untrusted: anything malformed, another ticket's set, or a set whose content is
    not its digest is a ConfigError naming the file; nothing is pushed from it.
    """
    if not re.fullmatch(r"[0-9a-f]{12,64}", digest):
        raise ConfigError(f"--change-set {digest!r}: give the change set's digest (12 to 64 hex digits)")
    text = read_capped_text(
        path, limit=MAX_BYTES, what=f"change set of {ticket_id} (run 'sipelangi-net diff')"
    )
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), list):
        raise ConfigError(f"{path}: not a change set")
    devices = []
    for i, d in enumerate(doc["devices"]):
        where = f"{path}: devices[{i}]"
        if not isinstance(d, dict) or not isinstance(d.get("commands"), list):
            raise ConfigError(f"{where}: not a device change")
        devices.append(
            DeviceChange(
                device=_text(f"{where}.device", d.get("device"), pattern=r"[A-Za-z0-9._-]{1,64}"),
                platform=_text(f"{where}.platform", d.get("platform"), pattern=r"[a-z_]{1,32}"),
                running_sha256=_text(
                    f"{where}.running_sha256", d.get("running_sha256"), pattern=r"[0-9a-f]{64}"
                ),
                commands=tuple(_text(f"{where}.commands", c) for c in d["commands"]),
            )
        )
    change = ChangeSet(
        _text(f"{path}: ticket_id", doc.get("ticket_id")), tuple(devices), _scope(path, doc.get("dhcp"))
    )
    if change.ticket_id != ticket_id:
        raise ConfigError(f"{path}: the change set of ticket {change.ticket_id}, not {ticket_id}")
    if not change.digest.startswith(digest):
        raise ConfigError(
            f"{path}: holds change set {change.digest[:12]}, not {digest[:12]}: the diff was run again"
            f" since (or the file was edited); look at 'sipelangi-net diff {ticket_id}' and confirm that one"
        )
    return change
