"""The lab as the :class:`~sipelangi_net.environment.Environment` of a change.

The OPD side is the site's user host in its own namespace (sipelangi_net.lab.probe), given the
plan's first address for the test; the post-check opens a connection from it to every
application the plan permits. The Diskominfo side is the first server of the segment
(``servers.yaml``) in its namespace.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Any

from sipelangi_net.environment import DriverFactory, Execute, OpdSide, PostCheck
from sipelangi_net.errors import LabError
from sipelangi_net.lab.probe import OpdHost, lab_probe, opd_host
from sipelangi_net.lab.runtime import LabPaths, nsenter


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

    def diskominfo_side(self, inventory: Any) -> Execute:
        from sipelangi_net.bandwidth.run import local_execute

        servers = list(inventory.servers.servers)
        if not servers:
            raise LabError(
                f"{inventory.path / 'servers.yaml'}: no server on the Diskominfo segment to test from"
            )
        enter = nsenter(self.paths, servers[0], mount=False, uts=False)

        def execute(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
            return local_execute([*enter, *argv], timeout)

        return execute
