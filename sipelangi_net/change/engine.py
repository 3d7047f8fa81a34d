"""The one engine of a change's device work: Nornir tasks on the threaded runner.

Reading facts, collecting configs for compliance and showing the lab run as Nornir tasks over
the inventory; a change runs the same way over the drivers of its devices. :class:`Engine`
turns a per-device operation (open, read, arm, push, confirm, restore) into a Nornir task on
every named device at once and gives back each host's result as data: the value, or the
:class:`~sipelangi_net.errors.SipelangiError` the device answered with. Anything else a task
raises is a bug and is raised again here, never swallowed as a device failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sipelangi_net.errors import SipelangiError

T = TypeVar("T")
MAX_WORKERS = 8


@dataclass(frozen=True, slots=True)
class HostResult(Generic[T]):
    """One device's outcome of one operation."""

    device: str
    value: T | None = None
    error: SipelangiError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True, slots=True)
class Results(Generic[T]):
    """Every device's outcome of one operation, by device name."""

    hosts: Mapping[str, HostResult[T]]

    @property
    def errors(self) -> list[tuple[str, SipelangiError]]:
        """``(device, error)`` of the failed devices, sorted by name."""
        return sorted((n, r.error) for n, r in self.hosts.items() if r.error is not None)

    @property
    def ok(self) -> bool:
        return not any(r.failed for r in self.hosts.values())


def _task(task: Any, operation: Callable[[str], Any]) -> Any:
    """A device's answer is a failed Result carrying its error (Nornir logs only real crashes)."""
    from nornir.core.task import Result

    try:
        return Result(host=task.host, result=operation(task.host.name))
    except SipelangiError as exc:
        return Result(host=task.host, failed=True, exception=exc)


class Engine:
    """Nornir over the devices of one change (hosts named as in the inventory)."""

    def __init__(self, devices: Iterable[str], *, workers: int = MAX_WORKERS) -> None:
        from nornir.core import Nornir
        from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
        from nornir.plugins.runners import ThreadedRunner

        names = sorted(set(devices))
        hosts = Hosts({name: Host(name=name) for name in names})
        self._nr = Nornir(
            inventory=Inventory(hosts=hosts, groups=Groups(), defaults=Defaults()),
            runner=ThreadedRunner(num_workers=max(1, min(workers, len(names)))),
        )

    def run(self, operation: Callable[[str], T], names: Iterable[str], *, name: str) -> Results[T]:
        """``operation(device)`` as the Nornir task ``name`` on every device of ``names`` at once."""
        wanted = frozenset(names)
        if not wanted:
            return Results({})
        nr = self._nr.filter(filter_func=lambda host: host.name in wanted)
        aggregated = nr.run(task=_task, operation=operation, name=name, on_failed=True)
        self._nr.data.reset_failed_hosts()
        hosts: dict[str, HostResult[T]] = {}
        for device, multi in aggregated.items():
            exc = multi[0].exception
            if exc is None:
                hosts[device] = HostResult(device, value=multi[0].result)
            elif isinstance(exc, SipelangiError):
                hosts[device] = HostResult(device, error=exc)
            else:
                raise exc
        return Results(hosts)
