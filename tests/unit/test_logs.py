"""The one secret scrubber: logs, reports and error messages."""

from __future__ import annotations

import logging
import re

import pytest

from sipelangi_net import logs
from sipelangi_net.logs import REDACTED, ScrubFilter, register_secret, scrub

PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDx2nDV3n3Jm3wJpLhC0fJxZ0K6c7t9bqU5hQmYx1c2lwAAAJg=\n"
    "-----END OPENSSH PRIVATE KEY-----"
)


@pytest.fixture(autouse=True)
def known(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Each test starts with no registered secrets and leaves none behind."""
    fresh: set[str] = set()
    monkeypatch.setattr(logs, "_known", fresh)
    return fresh


def test_registered_secret_is_hidden_everywhere(known: set[str]) -> None:
    register_secret("Kominfo#2024", None, "")
    assert known == {"Kominfo#2024"}
    text = "login ok with Kominfo#2024; retry Kominfo#2024"
    assert scrub(text) == f"login ok with {REDACTED}; retry {REDACTED}"


def test_short_values_are_not_registered(known: set[str]) -> None:
    register_secret("abc")
    assert known == set()
    assert scrub("abc def") == "abc def"


def test_extra_values_are_hidden() -> None:
    assert scrub("token-for-r1 used", extra=["token-for-r1"]) == f"{REDACTED} used"


def test_longest_secret_wins() -> None:
    register_secret("rahasia", "rahasia-panjang")
    assert scrub("x rahasia-panjang y") == f"x {REDACTED} y"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("password: x", "x"),
        ("password: hunter22", "hunter22"),
        ("Password=hunter22", "hunter22"),
        ("enable secret s3cr3t-value", "s3cr3t-value"),
        ("secret x", "x"),
        ("snmp-server community publik123 RO", "publik123"),
        ("api token = abcdef012345", "abcdef012345"),
        ("passwd:\tletmein!", "letmein!"),
    ],
)
def test_secret_looking_values_are_hidden(text: str, hidden: str) -> None:
    out = scrub(text)
    assert REDACTED in out
    assert hidden not in out.replace(REDACTED, "")
    keyword = re.split(r"[\s:=]", text, maxsplit=1)[0]
    assert keyword in out, "the keyword stays, only the value goes"


def test_ordinary_text_is_untouched() -> None:
    text = "interface eth0\n description ke core-diskominfo (fibre 1000 Mbps)\n ip address 10.255.0.2/30"
    assert scrub(text) == text


def test_private_key_block_is_hidden() -> None:
    text = f"key follows:\n{PRIVATE_KEY}\nend of file"
    out = scrub(text)
    assert out == f"key follows:\n{REDACTED}\nend of file"
    assert "b3BlbnNzaC1rZXkt" not in out


def test_rsa_private_key_block_is_hidden() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    assert scrub(f"a {block} b") == f"a {REDACTED} b"


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("sipelangi_net.test", logging.INFO, __file__, 1, msg, args or None, None)


def test_filter_scrubs_percent_args() -> None:
    register_secret("Kominfo#2024")
    record = _record("login %s to %s with password=%s", "netops", "r1", "hunter22")
    assert ScrubFilter().filter(record) is True
    assert record.args is None
    assert record.getMessage() == f"login netops to r1 with password={REDACTED}"
    record = _record("device said %r", "Kominfo#2024 accepted")
    ScrubFilter().filter(record)
    assert "Kominfo#2024" not in record.getMessage()
    assert REDACTED in record.getMessage()


def test_filter_on_a_handler_scrubs_output(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("Kominfo#2024")
    logger = logging.getLogger("sipelangi_net.test_logs")
    scrubber = ScrubFilter()
    logger.addFilter(scrubber)
    try:
        with caplog.at_level(logging.INFO, logger="sipelangi_net.test_logs"):
            logger.info("pushing to %s with %s", "r1", "Kominfo#2024")
            logger.info("config:\n%s", PRIVATE_KEY)
    finally:
        logger.removeFilter(scrubber)
    assert [r.getMessage() for r in caplog.records] == [
        f"pushing to r1 with {REDACTED}",
        f"config:\n    {REDACTED}",
    ]
    assert "Kominfo#2024" not in caplog.text


def test_log_lines_show_control_characters_escaped(caplog: pytest.LogCaptureFixture) -> None:
    """A value's escape sequence is shown escaped; a line break cannot start a record of its own."""
    logger = logging.getLogger("sipelangi_net.test_logs")
    scrubber = ScrubFilter()
    logger.addFilter(scrubber)
    try:
        with caplog.at_level(logging.WARNING, logger="sipelangi_net.test_logs"):
            logger.warning("actor %s", "tim\x1b]8;;http://x\x07kerja\nFORGED line")
    finally:
        logger.removeFilter(scrubber)
    (record,) = caplog.records
    assert record.getMessage() == "actor tim\\x1b]8;;http://x\\x07kerja\n    FORGED line"


def test_a_record_filtered_twice_is_scrubbed_once() -> None:
    """A record passes the logger's filter and then the handler's: the second pass changes nothing."""
    record = logging.LogRecord("sipelangi_net.x", logging.WARNING, __file__, 1, "a\n%s", ("b\x1b",), None)
    scrubber = ScrubFilter()
    scrubber.filter(record)
    once = record.getMessage()
    scrubber.filter(record)
    assert record.getMessage() == once == "a\n    b\\x1b"
