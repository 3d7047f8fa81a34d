"""The server and its contract agree: Schemathesis, driven by ``docs/openapi.yaml``, against the real server.

An independent, schema-driven fuzzer: it reads only the contract file, makes
valid and invalid requests for every operation, sends them to a real
``sipelangi-net serve`` (uvicorn on 127.0.0.1, a temporary SQLite store and
token) and checks every answer: no server error, only documented status codes,
content types and headers, bodies that match the declared schemas, invalid
requests refused and valid ones accepted. Bounded for CI (``SIPELANGI_API_FUZZ``
raises the number of examples per operation for a longer run by hand).

Two things a static contract cannot carry are supplied here, as the contract
describes them: ``format: safe-text`` (one line of printable text, the rule of
``sipelangi_net.validate``), the inventory's site and application keys (a
valid request names known ones; unknown ones are the documented 422) and the
list's cursors (a valid one is one the server issued for the same filters, so a
positive case starts at the first page; any other is the documented 422).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_server import Server, running_server
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from sipelangi_net.inventory import load_inventory
from sipelangi_net.paths import inventory_dir
from sipelangi_net.validate import FORBIDDEN_CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "spl_" + secrets.token_urlsafe(32)  # the helpdesk's: opens tickets, forwards, works the outbox
EXAMPLES = int(os.environ.get("SIPELANGI_API_FUZZ", "40"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
]

pytestmark = pytest.mark.timeout(600)

# One line of printable text without surrounding blanks (the server strips them before the limits).
schemathesis.openapi.format(
    "safe-text",
    st.text(alphabet=st.characters(exclude_categories=tuple(FORBIDDEN_CATEGORIES))).map(str.strip),
)


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("contract"), planted={"rina": TOKEN}) as srv:
        yield srv


@pytest.fixture(scope="module")
def catalogue() -> tuple[list[str], list[str]]:
    inventory = load_inventory(inventory_dir())
    return sorted(inventory.sites), sorted(inventory.applications)


def _known_keys(case: Any, catalogue: tuple[list[str], list[str]]) -> None:
    """A valid new ticket or fault report names sites and applications of the server's inventory; a
    valid list request has no cursor but one the server issued."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    if case.method.upper() == "GET" and case.path in ("/api/v1/tickets", "/api/v1/faults") and case.query:
        case.query.pop("cursor", None)
    if case.method.upper() == "POST" and case.path == "/api/v1/faults" and isinstance(case.body, dict):
        sites, applications = catalogue  # a report names a site (the helpdesk's must) and a known application
        case.body["site"] = sites[len(str(case.body.get("description", ""))) % len(sites)]
        if "application" in case.body:
            case.body["application"] = applications[0]
        return
    if case.method.upper() != "POST" or case.path != "/api/v1/tickets" or not isinstance(case.body, dict):
        return
    request = case.body.get("request")
    if isinstance(request, dict):
        sites, applications = catalogue
        wanted = len(request.get("applications") or [1])
        request["site"] = sites[len(str(request.get("opd", ""))) % len(sites)]
        request["applications"] = applications[: max(1, min(wanted, len(applications)))]


schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
schema.config.update(headers={"Authorization": f"Bearer {TOKEN}"})  # known to the generator, not added later


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_the_server_keeps_its_contract(
    case: Any, api_server: Server, catalogue: tuple[list[str], list[str]]
) -> None:
    _known_keys(case, catalogue)
    case.call_and_validate(base_url=api_server.url, checks=CHECKS)


def test_the_fuzzer_got_past_the_token(api_server: Server) -> None:
    """Runs after the operations: valid requests were accepted, so the cases above really reached the API."""
    with closing(sqlite3.connect(api_server.db)) as conn:
        assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] > 0
