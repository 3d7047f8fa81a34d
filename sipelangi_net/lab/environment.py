"""The lab as the :class:`~sipelangi_net.environment.Environment` of a change.

The OPD side is the site's user host in its own namespace (sipelangi_net.lab.probe), given the
plan's first address for the test; the post-check opens a connection from it to every
application the plan permits.
"""

from __future__ import annotations

from typing import Any

from sipelangi_net.environment import DriverFactory, OpdSide, PostCheck
from sipelangi_net.errors import LabError
from sipelangi_net.lab.probe import OpdHost, lab_probe, opd_host
from sipelangi_net.lab.runtime import LabPaths


class LabEnvironment:
    name = "lab"

    def __init__(self, paths: LabPaths) -> None:
        self.paths = paths

    def _host(self, plan: Any, inventory: Any) -> OpdHost:
        host = opd_host(plan, inventory, self.paths)
        if host is None:
            raise LabError(
                f"ticket {plan.ticket_id}: the lab has no OPD host for site {plan.site!r}"
                f" (is the lab up on {inventory.path}? 'sipelangi-net lab status')"
            )
        return host

    def opd_side(self, plan: Any, inventory: Any) -> OpdSide:
        host = self._host(plan, inventory)
        return OpdSide(host.name, host.execute, host.attached())

    def post_check(
        self, plan: Any, inventory: Any, factory: DriverFactory
    ) -> tuple[DriverFactory, PostCheck | None]:
        self._host(plan, inventory)
        return factory, lab_probe(plan, inventory, self.paths)
