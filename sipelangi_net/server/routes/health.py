"""``GET /api/v1/health``: liveness, the only path that needs no token."""

from __future__ import annotations

from fastapi import APIRouter

from sipelangi_net.server.models import Health
from sipelangi_net.server.routes import API_PREFIX

router = APIRouter(prefix=API_PREFIX)


@router.get("/health", response_model=Health, tags=["health"])
def health() -> Health:
    """Liveness check; the only path that needs no token."""
    return Health(status="ok")
