"""Bad requests: one clear error naming the field; random requests never crash the validator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ticket_data import REQUEST, raw_request

from sipelangi_net.errors import RequestError
from sipelangi_net.inventory import Inventory, load_inventory
from sipelangi_net.tickets.intake import read_request_file, validate_request
from sipelangi_net.tickets.models import Request

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = load_inventory(ROOT / "inventory")


def test_the_sample_request_is_valid() -> None:
    req = validate_request(raw_request(), INVENTORY)
    assert req.site == "dinkes" and req.users == 40


def _without(*path: str) -> dict[str, Any]:
    data = raw_request()
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


CASES = {
    "missing opd": (_without("opd"), "opd: is required"),
    "missing pic email": (_without("pic", "email"), "pic.email: is required"),
    "missing letter": (_without("letter"), "letter: is required"),
    "users zero": (raw_request(users=0), "users: Input should be greater than or equal to 1"),
    "users negative": (raw_request(users=-5), "users: Input should be greater than or equal to 1"),
    "users absurd": (raw_request(users=100_000), "users: Input should be less than or equal to 1000"),
    "users text": (raw_request(users="forty"), "users: Input should be a valid integer"),
    "users bool": (raw_request(users=True), "users: Input should be a valid integer"),
    "unknown site": (raw_request(site="mars"), "site: unknown site 'mars'"),
    "unknown application": (
        raw_request(applications=["simpeg", "tiktok"]),
        "applications[1]: unknown application",
    ),
    "duplicate application": (
        raw_request(applications=["simpeg", "simpeg"]),
        "applications[1]: 'simpeg' is listed twice",
    ),
    "no applications": (raw_request(applications=[]), "applications: List should have at least 1 item"),
    "invalid email": (
        raw_request(pic={**REQUEST["pic"], "email": "budi@"}),
        "pic.email: value is not a valid email",
    ),
    "bad phone": (raw_request(pic={**REQUEST["pic"], "phone": "call me"}), "pic.phone: String should match"),
    "bad date": (
        raw_request(letter={"number": "1", "date": "kemarin"}),
        "letter.date: Input should be a valid date",
    ),
    "unknown field": (raw_request(colour="red"), "colour: is not a field of a request"),
    "not a mapping": (["opd", "site"], "a request is a mapping"),
}


@pytest.mark.parametrize(("raw", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_request_names_the_field(raw: Any, expected: str) -> None:
    with pytest.raises(RequestError) as err:
        validate_request(raw, INVENTORY, source="permohonan.yaml")
    assert str(err.value).startswith("permohonan.yaml: ")
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


TEXT_FIELDS = [("opd",), ("notes",), ("pic", "name"), ("letter", "number")]
HOSTILE = [
    "Dinkes\nhostname pwned",
    "Dinkes\r\nreload",
    "Dinkes\x00",
    "Dinkes\x1b[2J",
    "Dinkes\u202eevil",
    "Dinkes\u2028line",
    "Dinkes\x85",
    "Dinkes\tTab",
]


@pytest.mark.parametrize("field", TEXT_FIELDS, ids=".".join)
@pytest.mark.parametrize("text", HOSTILE, ids=repr)
def test_control_characters_in_any_text_field_are_refused(field: tuple[str, ...], text: str) -> None:
    data = raw_request()
    target = data
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = text
    with pytest.raises(RequestError) as err:
        validate_request(data, INVENTORY)
    message = str(err.value)
    assert f"{'.'.join(field)}: Value error, contains a forbidden character" in message
    assert "\n" not in message and "\x1b" not in message and "\x00" not in message


def test_hostile_field_names_are_escaped_in_the_error() -> None:
    with pytest.raises(RequestError) as err:
        validate_request(raw_request(**{"evil\x1b[31m\nkey": 1}), INVENTORY)
    assert "\x1b" not in str(err.value) and "\n" not in str(err.value)
    assert "evil\\x1b[31m\\nkey" in str(err.value)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("r.yaml", "opd: [unclosed\n", "not valid YAML"),
        ("r.json", '{"opd": ', "not valid JSON"),
        ("r.yaml", b"\xff\xfe\x00", "not UTF-8 text"),
        ("r.yaml", "a: " + "[" * 5000, "r.yaml"),
    ],
)
def test_unreadable_request_files(tmp_path: Path, name: str, content: str | bytes, expected: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(RequestError, match=expected) as err:
        raw = read_request_file(path)
        validate_request(raw, INVENTORY, source=str(path))
    assert str(path) in str(err.value)


def test_missing_and_huge_files(tmp_path: Path) -> None:
    with pytest.raises(RequestError, match="file not found"):
        read_request_file(tmp_path / "nope.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("notes: " + "x" * 300_000)
    with pytest.raises(RequestError, match="too large"):
        read_request_file(big)


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from([*REQUEST, "pic", "letter", "submitted_at", "extra"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    base=st.booleans(),
    changes=st.dictionaries(field_names, values, max_size=4),
    junk=values,
)
def test_random_requests_never_crash_the_validator(base: bool, changes: dict[str, Any], junk: Any) -> None:
    raw: Any = raw_request(**changes) if base else junk
    try:
        req = validate_request(raw, _inventory())
    except RequestError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(req, Request) and req.site in INVENTORY.sites


def _inventory() -> Inventory:
    return INVENTORY
