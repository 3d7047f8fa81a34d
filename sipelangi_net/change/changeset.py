"""The change set: per device the exact commands, frozen with the running config they were made from.

The diff stage makes it; the engineer's confirmation approves it (its :attr:`ChangeSet.digest`
is what is shown and may be given back as ``--change-set``); the push sends exactly its
commands, and only to devices whose running config still has the digest the diff read. A
device changed in between is refused before anything is sent to any device of the change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sipelangi_net.errors import ChangedSince


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
class ChangeSet:
    """What one change sends, device by device (sorted by name)."""

    ticket_id: str
    devices: tuple[DeviceChange, ...]

    @property
    def digest(self) -> str:
        """SHA-256 of the whole change set: the identity the engineer approves."""
        body = [[d.device, d.platform, d.running_sha256, list(d.commands)] for d in self.devices]
        return hashlib.sha256(json.dumps([self.ticket_id, body]).encode()).hexdigest()

    @property
    def changed(self) -> tuple[str, ...]:
        """The devices that get commands."""
        return tuple(d.device for d in self.devices if d.changed)

    def of(self, device: str) -> DeviceChange:
        return next(d for d in self.devices if d.device == device)

    def check_current(self, running: Mapping[str, str]) -> None:
        """Raise :class:`ChangedSince` naming every device whose running digest is not the approved one.

        ``running``: device → digest of its running config read now, for the same devices.
        """
        approved = {d.device: d.running_sha256 for d in self.devices}
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
