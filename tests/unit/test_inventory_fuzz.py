"""Property: whatever garbage sits in sites.yaml or hosts.yaml, the loader answers with
an InventoryError naming the file (or loads it), never with any other exception."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inventory_edit import copy_inventory, read_yaml

from sipelangi_net.errors import InventoryError
from sipelangi_net.inventory import NAME_PATTERN, load_inventory
from sipelangi_net.validate import unsafe_character

FILES = ("sites.yaml", "hosts.yaml")

# Text with control characters, YAML punctuation and names that look almost valid.
any_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("\x00\x07\t\n\r\x1b\x7f:-[]{}&*!|>'\"%@`#,?")),
    ),
    max_size=60,
)
name_like = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True),
    st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}\n", fullmatch=True),
    any_text,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    st.sampled_from(["10.10.10.10", "10.255.255.1/32", "127.2.0.1", "eth1", "frr", "cisco_ios", "yes", "~"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(name_like, st.integers(), st.booleans()), inner, max_size=4),
    ),
    max_leaves=20,
)


def _mutations(original: Any) -> st.SearchStrategy[Any]:
    """The real file with one entry or one field of one entry replaced by garbage."""
    names = sorted(original)

    def replace_entry(name: str, value: Any) -> Any:
        return {**original, name: value}

    def replace_field(name: str, field: str, value: Any) -> Any:
        entry = original[name]
        return {**original, name: {**entry, field: value}}

    fields = sorted({f for entry in original.values() for f in entry} | {"password", "groups", "lab"})
    return st.one_of(
        st.builds(replace_entry, st.sampled_from(names), values),
        st.builds(replace_field, st.sampled_from(names), st.sampled_from(fields), values),
        st.builds(lambda key, v: {**original, key: v}, name_like, values),
    )


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True)


@pytest.fixture(scope="module")
def fuzz_root() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="spl-fuzz-"))
    try:
        yield copy_inventory(base / "inventory")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _contents(original: Any) -> st.SearchStrategy[str]:
    return st.one_of(
        any_text,
        values.map(_dump),
        _mutations(original).map(_dump),
    )


@pytest.mark.parametrize("name", FILES)
def test_garbage_gives_inventory_error_or_loads(fuzz_root: Path, name: str) -> None:
    path = fuzz_root / name
    pristine = path.read_text(encoding="utf-8")
    original = read_yaml(path)

    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(content=_contents(original))
    def check(content: str) -> None:
        path.write_text(content, encoding="utf-8")
        try:
            inv = load_inventory(fuzz_root)
        except InventoryError as exc:
            assert str(path) in str(exc) or str(fuzz_root) in str(exc)
        else:
            # Whatever loads is clean: names are whole-string valid, texts have no control characters.
            for key in (*inv.devices, *inv.sites, *inv.servers.servers):
                assert re.fullmatch(NAME_PATTERN, key), repr(key)
            for site in inv.sites.values():
                assert unsafe_character(site.opd) is None, repr(site.opd)
                assert unsafe_character(site.kecamatan) is None, repr(site.kecamatan)
            for device in inv.devices.values():
                assert device.data.description is None or unsafe_character(device.data.description) is None

    try:
        check()
    finally:
        path.write_text(pristine, encoding="utf-8")
    load_inventory(fuzz_root)  # restored
