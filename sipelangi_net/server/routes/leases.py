"""Leases: the engineers' runs kept apart by the server (``/api/v1/leases``).

A run that changes a ticket, a device or the installation calendar takes a lease on their names
first (:mod:`sipelangi_net.tickets.leases`): all or nothing, in one write transaction, so two
laptops using this server never work on the same router at once. The run renews its lease while it
works; one it stops renewing expires and is taken over. Tim kerja and admin accounts take leases;
only the holder's account (or an admin) renews or releases one.
"""

from __future__ import annotations

from typing import Annotated, Protocol, runtime_checkable

from fastapi import Path as PathParam
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sipelangi_net.server.auth import Caller
from sipelangi_net.server.errors import ApiError
from sipelangi_net.server.models import ApiErrorBody
from sipelangi_net.server.routes import Responses, api_router
from sipelangi_net.server.store import ServedStore, run
from sipelangi_net.tickets import policy
from sipelangi_net.tickets.leases import MAX_NAMES, MAX_TTL_S, MIN_TTL_S, Holder, Lease, LeaseName
from sipelangi_net.tickets.models import RequiredText

LEASE_ROLES = (policy.TIM_KERJA, policy.ADMIN)
LeaseId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$", description="The lease's id.")]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NewLease(_Body):
    """What a run asks to hold, why, for how long, and where it runs."""

    names: list[LeaseName] = Field(
        min_length=1,
        max_length=MAX_NAMES,
        description="kind:name, kind one of ticket, device, calendar, playbook (e.g. device:core-diskominfo)",
    )
    purpose: RequiredText = Field(description="What the run does, e.g. 'deploy SPL-2026-00001'.")
    ttl_s: int = Field(
        ge=MIN_TTL_S, le=MAX_TTL_S, description="Seconds until the lease expires unless renewed."
    )
    host: RequiredText = Field(description="The host the run is on.")
    pid: int = Field(ge=0, le=2**31, description="The run's process id on that host.")


class Renewal(_Body):
    ttl_s: int = Field(ge=MIN_TTL_S, le=MAX_TTL_S, description="Seconds from now until the lease expires.")


@runtime_checkable
class LeaseStore(Protocol):
    """A store that keeps leases (``SqliteStore``)."""

    def acquire_leases(self, names: list[str], *, holder: Holder, purpose: str, ttl_s: float) -> Lease: ...

    def renew_lease(self, lease_id: str, *, account_id: str, ttl_s: float) -> Lease: ...

    def release_lease(self, lease_id: str, *, account_id: str, admin: bool = False) -> bool: ...

    def held_leases(self) -> list[Lease]: ...


_FORBIDDEN: Responses = {
    403: {
        "model": ApiErrorBody,
        "description": "Leases are for tim_kerja and admin accounts; a lease is renewed or released by its"
        " holder's account (or an admin)",
    }
}
_BUSY: Responses = {
    409: {
        "model": ApiErrorBody,
        "description": "`busy`: a name is held by another lease; the message names what, by whom (account,"
        " host, pid), for what and until when. Nothing was taken.",
    }
}
_LOST: Responses = {
    409: {
        "model": ApiErrorBody,
        "description": "`lost`: the lease is no longer held (it expired and was taken over, or was released)",
    }
}
_GONE: Responses = {404: {"model": ApiErrorBody, "description": "No such lease held now"}}

router = api_router()


def _engineer(caller: policy.Actor) -> None:
    if str(caller.role) not in LEASE_ROLES:
        raise ApiError(
            403,
            "forbidden",
            f"leases are taken by {' or '.join(LEASE_ROLES)} accounts; this account is {caller.role}",
        )


def _leases(store: ServedStore) -> LeaseStore:
    if not isinstance(store, LeaseStore):
        raise ApiError(501, "unsupported", "this server's ticket store keeps no leases")
    return store


@router.post(
    "/leases", status_code=201, response_model=Lease, tags=["leases"], responses={**_BUSY, **_FORBIDDEN}
)
def acquire_lease(request: HttpRequest, body: NewLease, caller: Caller) -> Lease:
    """Hold all of ``names`` as one lease (all or nothing) for the caller's account, until ``ttl_s``
    seconds from now unless renewed. A name held by a lease that has expired is taken over."""
    _engineer(caller)
    holder = Holder(account_id=str(caller.id), display_name=caller.display_name, host=body.host, pid=body.pid)
    return run(
        request,
        lambda s: _leases(s).acquire_leases(
            list(body.names), holder=holder, purpose=body.purpose, ttl_s=body.ttl_s
        ),
    )


@router.get("/leases", response_model=list[Lease], tags=["leases"], responses=_FORBIDDEN)
def list_leases(request: HttpRequest, caller: Caller) -> list[Lease]:
    """The leases held now: what, by whom, for what, until when."""
    _engineer(caller)
    return run(request, lambda s: _leases(s).held_leases())


@router.put("/leases/{lease_id}", response_model=Lease, tags=["leases"], responses={**_LOST, **_FORBIDDEN})
def renew_lease(request: HttpRequest, lease_id: LeaseId, body: Renewal, caller: Caller) -> Lease:
    """Extend the caller's lease to ``ttl_s`` seconds from now (409 ``lost`` when it is gone)."""
    _engineer(caller)
    return run(
        request, lambda s: _leases(s).renew_lease(lease_id, account_id=str(caller.id), ttl_s=body.ttl_s)
    )


@router.delete("/leases/{lease_id}", status_code=204, tags=["leases"], responses={**_GONE, **_FORBIDDEN})
def release_lease(request: HttpRequest, lease_id: LeaseId, caller: Caller) -> Response:
    """Give the lease up: its holder's account, or an admin."""
    _engineer(caller)
    admin = str(caller.role) == policy.ADMIN
    held = run(request, lambda s: _leases(s).release_lease(lease_id, account_id=str(caller.id), admin=admin))
    if not held:
        raise ApiError(404, "not_found", f"lease {lease_id}: not held")
    return Response(status_code=204)
