"""inventory/fault_standards.yaml: the team's time standards, validated, with errors naming file and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sipelangi_net.errors import InventoryError
from sipelangi_net.faults.sop import SEVERITIES, STEP_KEYS
from sipelangi_net.faults.standards import DEFAULTS, STANDARDS_FILE, FaultStandards, load_standards

ROOT = Path(__file__).resolve().parents[2]
FULL = "\n".join(f"  {k}: 7" for k in STEP_KEYS)


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / STANDARDS_FILE).write_text(text, encoding="utf-8")
    return tmp_path


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(InventoryError) as exc:
        load_standards(write(tmp_path, text))
    message = str(exc.value)
    assert message.startswith(str(tmp_path / STANDARDS_FILE)), message
    assert exc.value.exit_code == 2
    return message


def test_the_shipped_file_loads_and_states_the_defaults() -> None:
    assert load_standards(ROOT / "inventory") == DEFAULTS


def test_missing_or_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_standards(tmp_path) == DEFAULTS
    assert load_standards(write(tmp_path, "# nothing set yet\n")) == DEFAULTS


def test_a_severity_left_out_keeps_its_defaults(tmp_path: Path) -> None:
    got = load_standards(write(tmp_path, f"outage:\n{FULL}\n"))
    assert all(got.minutes("outage", k) == 7 for k in STEP_KEYS)
    assert got.degraded == DEFAULTS.degraded and got.minor == DEFAULTS.minor
    assert got.seconds("outage", "fixed") == 7 * 60
    assert got.outage.total == 7 * len(STEP_KEYS)


def test_defaults_are_stricter_for_an_outage_than_a_degradation() -> None:
    for k in STEP_KEYS:
        outage, degraded, minor = (DEFAULTS.minutes(s, k) for s in SEVERITIES)
        assert outage <= degraded <= minor


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    message = refused(tmp_path, "outage:\n  reported: [5\n")
    assert re.search(r"fault_standards\.yaml:\d+:\d+: YAML error", message), message


def test_unknown_severity_is_named(tmp_path: Path) -> None:
    message = refused(tmp_path, f"putus:\n{FULL}\n")
    assert "putus: Extra inputs are not permitted" in message


def test_unknown_step_is_named(tmp_path: Path) -> None:
    message = refused(tmp_path, f"degraded:\n{FULL}\n  fixd: 3\n")
    assert "degraded.fixd: Extra inputs are not permitted" in message


def test_negative_minutes_name_the_field(tmp_path: Path) -> None:
    message = refused(tmp_path, f"minor:\n{FULL.replace('fixed: 7', 'fixed: -5')}\n")
    assert "minor.fixed: Input should be greater than or equal to 1" in message
    assert "fix the fault time standards file" in message


def test_zero_and_more_than_thirty_days_are_refused(tmp_path: Path) -> None:
    assert "outage.closed:" in refused(tmp_path, f"outage:\n{FULL.replace('closed: 7', 'closed: 0')}\n")
    assert "outage.triaged: Input should be less than or equal to 43200" in refused(
        tmp_path, f"outage:\n{FULL.replace('triaged: 7', 'triaged: 43201')}\n"
    )


@pytest.mark.parametrize("value", ['"15"', "15.5", "true", "null", "[15]"])
def test_minutes_are_whole_numbers_not_guessed(tmp_path: Path, value: str) -> None:
    message = refused(tmp_path, f"outage:\n{FULL.replace('verified: 7', f'verified: {value}')}\n")
    assert "outage.verified:" in message


def test_a_severity_written_must_give_every_step(tmp_path: Path) -> None:
    message = refused(tmp_path, "degraded:\n  reported: 5\n")
    assert "degraded.triaged: Field required" in message
    assert "degraded.closed: Field required" in message
    message = refused(tmp_path, "degraded: {}\n")
    assert "degraded.reported: Field required" in message
    assert "... and 1 more" in message  # five named, the rest counted


@pytest.mark.parametrize("text", ["- outage\n", "15\n", "just words\n"])
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    assert "expected a mapping of severities" in refused(tmp_path, text)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / STANDARDS_FILE).write_bytes(b"outage: \xff\n")
    with pytest.raises(InventoryError, match="not UTF-8"):
        load_standards(tmp_path)


def test_values_are_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        DEFAULTS.outage.fixed = 1  # type: ignore[misc]


def test_docs_list_the_defaults() -> None:
    """docs/faults.md's table of defaults is the code's."""
    text = (ROOT / "docs" / "faults.md").read_text(encoding="utf-8")
    for key in STEP_KEYS:
        row = re.search(rf"^\| `{key}` \|(.*)\|$", text, re.M)
        assert row, key
        cells = [c.strip() for c in row.group(1).split("|")]
        assert cells[: len(SEVERITIES)] == [str(DEFAULTS.minutes(s, key)) for s in SEVERITIES], key
    assert isinstance(DEFAULTS, FaultStandards)
