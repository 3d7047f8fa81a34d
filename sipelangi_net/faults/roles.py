"""Who records a fault step among people: an account's role as a :class:`~.sop.FaultRole` (pure).

The CLI (``sipelangi-net fault``) and the server map the account that acts to the fault SOP's
roles: ``helpdesk`` → Helpdesk, ``tim_kerja`` → Tim Kerja, ``pemohon`` → Pemohon; the Kepala
Dinas, the Kepala Bidang and an admin record no fault step. Single-engineer mode's local account
may record every step (as the ticket policy lets it): it takes the step's first role that is a
person's. The recorded name is the account's username. A step the role may not record is
:class:`~sipelangi_net.errors.Forbidden` naming the roles that may.
"""

from __future__ import annotations

from sipelangi_net.errors import Forbidden
from sipelangi_net.faults.models import FaultActor
from sipelangi_net.faults.sop import FaultRole, StepKey, describe, step
from sipelangi_net.tickets.policy import Actor

PEOPLE: dict[str, FaultRole] = {
    "pemohon": FaultRole.PEMOHON,
    "helpdesk": FaultRole.HELPDESK,
    "tim_kerja": FaultRole.TIM_KERJA,
}


def fault_actor(account: Actor, key: StepKey) -> FaultActor:
    """The actor ``account`` records fault step ``key`` as; Forbidden when its role may not."""
    roles = step(key).roles
    role: FaultRole
    if account.disabled:
        raise Forbidden(f"account {account.username} is disabled: it records no fault step")
    if account.local:
        role = next(r for r in roles if r != FaultRole.MONITOR)
    else:
        found = PEOPLE.get(str(account.role))
        if found is None or found not in roles:
            names = ", ".join(r.value for r in roles if r != FaultRole.MONITOR)
            raise Forbidden(
                f"{describe(key)} is recorded by {names}; account {account.username} is {account.role}"
            )
        role = found
    return FaultActor(role=role, name=account.username)
