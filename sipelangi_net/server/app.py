"""The application: :func:`create_app` assembles the routes, the guard and the error handlers.

``docs/openapi.yaml`` is :func:`openapi_yaml`'s output (``scripts/gen_openapi.py``
writes it; a unit test fails when the file and the code disagree).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from sipelangi_net.errors import StoreError
from sipelangi_net.server.auth import TokenResolver, single_token
from sipelangi_net.server.courier import Courier, Delivery
from sipelangi_net.server.errors import install_handlers
from sipelangi_net.server.guard import Guard
from sipelangi_net.server.pages import PageDispatch, PagesConfig, pages_app
from sipelangi_net.server.routes import (
    HEALTH_PATH,
    accounts,
    documents,
    faults,
    health,
    leases,
    login,
    notifications,
    tickets,
)
from sipelangi_net.server.routes.accounts import AccountDesk, AccountsFactory
from sipelangi_net.server.routes.login import LOGIN_PATH, LoginDesk, LoginsFactory
from sipelangi_net.server.store import InventoryLoader, ServedStore, StoreFactory, StoreHolder

# 3.3: /faults (issue 19: list, read, report, record a step)
# 3.2: /leases, 409 slot_taken; 3.1: GET /auth/me, an admin's /accounts, a ticket's documents;
# 3: accounts act (403 by role), POST /auth/token; 2: paged GET /tickets
API_VERSION = "3.3.0"
DEFAULT_PORT = 8700
MIN_TOKEN_LENGTH = 16


def _operation_id(route: APIRoute) -> str:
    return route.name


def _default_inventory() -> InventoryLoader:
    """The inventory of ``paths.inventory_dir()``, loaded on first use and kept."""
    from functools import cache

    from sipelangi_net.inventory import load_inventory
    from sipelangi_net.paths import inventory_dir

    return cache(lambda: load_inventory(inventory_dir()))


def create_app(
    store_factory: StoreFactory,
    *,
    token: str | None = None,
    resolver: TokenResolver | None = None,
    inventory: InventoryLoader | None = None,
    cursor_key: bytes | None = None,
    logins: LoginsFactory | None = None,
    accounts_factory: AccountsFactory | None = None,
    reports: Path | None = None,
    pages: PagesConfig | None = None,
    delivery: Delivery | None = None,
) -> FastAPI:
    """The API over the store ``store_factory`` makes (opened on first use, closed at shutdown).

    Callers are authenticated by ``resolver`` (:mod:`~sipelangi_net.server.auth`), or by the one
    ``token``. ``inventory`` gives the sites and applications a new ticket may name (default: the
    inventory directory, read on first use). ``cursor_key`` signs the list's page cursors (default: a
    random key made now, so cursors do not outlive the app). ``logins`` opens the accounts that
    ``POST /api/v1/auth/token`` checks passwords against (none: that path answers 404);
    ``accounts_factory`` the accounts ``GET /auth/me`` and the admin's ``/accounts`` use. ``reports``:
    where the server writes and finds the tickets' documents (default: ``paths.reports_dir()``).
    ``pages``: the pages for people (:mod:`sipelangi_net.server.pages`) on every path outside ``/api/``.
    ``delivery``: the server works the notification outbox itself while it runs
    (:mod:`~sipelangi_net.server.courier`; none: ``sipelangi-net ticket notify`` does).
    """
    if resolver is None:
        if token is None:
            raise ValueError("create_app needs a token or a resolver")
        resolver = single_token(token)
    holder = StoreHolder(store_factory)
    account_desk = AccountDesk(accounts_factory) if accounts_factory is not None else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        courier = Courier(holder.use, delivery) if delivery is not None else None
        if courier is not None:
            courier.start()
        try:
            yield
        finally:
            if courier is not None:
                await asyncio.to_thread(courier.stop)
            holder.close()
            if account_desk is not None:
                account_desk.close()

    app = FastAPI(
        title="SiPelangi ticket API",
        version=API_VERSION,
        summary="Tickets and events of the SOP Pemanfaatan Jaringan Intra Pemerintah (Pangkalpinang).",
        description=(
            "Served by `sipelangi-net serve`; spoken by the toolkit's HTTP store adapter."
            " Every path except /api/v1/health and /api/v1/auth/token needs `Authorization: Bearer"
            " <token>`: an account's API token (the server decides who acts: each SOP step is done by"
            " the account whose role the SOP names for it, else 403 naming the role; a pemohon sees"
            " only their OPD's tickets), or the server's service token, which reads, works the"
            " notification outbox and records step 12, and does no step of a person. Errors are"
            ' `{"error": message, "code": code}`. Times are ISO 8601 with a zone and microseconds;'
            " tickets round-trip exactly, so their hash chains verify on the client."
        ),
        servers=[{"url": f"http://127.0.0.1:{DEFAULT_PORT}", "description": "sipelangi-net serve"}],
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.store = holder
    app.state.cursor_key = cursor_key or secrets.token_bytes(32)
    app.state.inventory = inventory or _default_inventory()
    app.state.logins = LoginDesk(logins) if logins is not None else None
    app.state.accounts = account_desk
    app.state.reports = reports
    app.include_router(health.router)
    app.include_router(login.router)
    app.include_router(tickets.router)
    app.include_router(notifications.router)
    app.include_router(accounts.me_router)
    app.include_router(accounts.router)
    app.include_router(documents.router)
    app.include_router(leases.router)
    app.include_router(faults.router)
    install_handlers(app)
    app.add_middleware(Guard, resolver=resolver, open_paths=frozenset({HEALTH_PATH, LOGIN_PATH}))
    if pages is not None:  # outermost: a page never meets the API's guard
        served = pages_app(pages, store=holder, inventory=app.state.inventory)
        app.add_middleware(PageDispatch, pages=served)
    return app


def openapi_yaml() -> str:
    """The contract file ``docs/openapi.yaml`` as ``create_app`` describes it now."""
    import yaml

    def no_store() -> ServedStore:
        raise StoreError("no store: this app only describes the API")

    app = create_app(no_store, token="x" * MIN_TOKEN_LENGTH)
    header = (
        "# The SiPelangi ticket API contract (served by `sipelangi-net serve`, spoken by HttpStore).\n"
        "# Generated from sipelangi_net.server.app.create_app by scripts/gen_openapi.py; do not edit.\n"
        "# tests/unit/test_http_store.py fails when this file and the code disagree.\n"
    )
    return header + yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)
