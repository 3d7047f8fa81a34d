"""Secrets stay secret: real config lines with secrets (tests/fixtures/<platform>/secrets/) never
reach the scrubber's output, a backup in git (its whole history) or a log line."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
from pathlib import Path

import pytest

from sipelangi_net import logs
from sipelangi_net.compliance.backup import backup_configs
from sipelangi_net.logs import REDACTED, ScrubFilter, scrub
from sipelangi_net.platforms import Platform
from sipelangi_net.redact import rules, sanitize_any, sanitize_config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PLATFORMS = ("frr", "cisco_ios", "arista_eos", "juniper_junos", "mikrotik_routeros")
T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def fixture(platform: str) -> tuple[str, list[str]]:
    folder = FIXTURES / platform / "secrets"
    secrets = [s for s in (folder / "secrets.txt").read_text(encoding="utf-8").splitlines() if s]
    return (folder / "running.cfg").read_text(encoding="utf-8"), secrets


@pytest.fixture(autouse=True)
def no_known_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the config rules are under test here, not values registered by other tests."""
    monkeypatch.setattr(logs, "_known", set())


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_fixtures_are_real_secrets(platform: str) -> None:
    config, secrets = fixture(platform)
    assert len(secrets) >= 6
    assert leaked(config, secrets) == secrets, "every listed secret is in the config"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_platform_rules_hide_every_secret_and_keep_the_lines(platform: str) -> None:
    config, secrets = fixture(platform)
    out = sanitize_config(config, platform)
    assert leaked(out, secrets) == []
    assert len(out.splitlines()) == len(config.splitlines()), "lines are kept, values go"
    assert out.count(REDACTED) >= len(set(secrets)) - 1  # a line may hold two, a value may repeat


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_scrubber_hides_every_secret_without_knowing_the_platform(platform: str) -> None:
    config, secrets = fixture(platform)
    assert leaked(scrub(config), secrets) == []
    for line in config.splitlines():  # one config line quoted in an error is hidden too
        if platform == "mikrotik_routeros" and " name=" in f" {line}":
            continue  # a name= is a community only inside /snmp community: a lone line lost that
        assert leaked(scrub(f"r1: device refused: {line.strip()}"), secrets) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_log_line_never_carries_a_secret(platform: str, caplog: pytest.LogCaptureFixture) -> None:
    config, secrets = fixture(platform)
    logger = logging.getLogger("sipelangi_net.test_secrets")
    scrubber = ScrubFilter()
    logger.addFilter(scrubber)
    try:
        with caplog.at_level(logging.DEBUG, logger="sipelangi_net.test_secrets"):
            logger.debug("%s: running config:\n%s", "r1", config)
    finally:
        logger.removeFilter(scrubber)
    assert caplog.records and leaked(caplog.text, secrets) == []


def test_backups_in_git_never_hold_a_secret_in_any_commit(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    configs = {f"dev-{p}": (p, fixture(p)[0]) for p in PLATFORMS}
    everything = [s for p in PLATFORMS for s in fixture(p)[1]]
    first = backup_configs(repo, configs, when=T0)
    assert set(first.changed) == set(configs)
    changed = {d: (p, text.replace("hostname", "hostname new")) for d, (p, text) in configs.items()}
    backup_configs(repo, changed, when=T0 + dt.timedelta(days=1))
    history = subprocess.run(
        ["git", "-C", str(repo), "log", "-p", "--all", "--format=%H %s%n%b"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert history.count("compliance backup") == 2
    assert leaked(history, everything) == []
    objects = subprocess.run(  # every blob git holds, not only what log -p shows
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "replace")
    assert leaked(objects, everything) == []
    for device in configs:
        mode = (repo / first.files[device]).stat().st_mode & 0o777
        assert mode == 0o600


@pytest.mark.parametrize(
    ("platform", "line", "kept"),
    [
        ("frr", "password zebra", "password ********"),
        ("frr", "enable password zebra", "enable password ********"),
        (
            "cisco_ios",
            "enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM",
            "enable secret 9 ********",
        ),
        (
            "cisco_ios",
            " ip ospf message-digest-key 1 md5 7 0822455D0A16",
            "message-digest-key 1 md5 ********",
        ),
        ("cisco_ios", "tacacs-server host 10.0.0.5 key 7 0822455D0A16", "tacacs-server host 10.0.0.5 key"),
        ("cisco_ios", "radius-server key 7 0822455D0A16", "radius-server key"),
        ("cisco_ios", " key 1", " key 1"),
        ("arista_eos", "username admin secret sha512 $6$abc$def", "username admin secret sha512 ********"),
        (
            "juniper_junos",
            '    encrypted-password "$6$abc$def"; ## SECRET-DATA',
            "encrypted-password ********;",
        ),
        ("juniper_junos", "    community kominfo-ro {", "community ******** {"),
        ("mikrotik_routeros", "/snmp community add addresses=10.0.0.0/8 name=kominfo", "name=********"),
        (
            "mikrotik_routeros",
            'add name=myProfile wpa2-pre-shared-key="a b c" mode=dynamic-keys',
            "mode=dynamic-keys",
        ),
    ],
)
def test_lines_keep_their_keyword_and_lose_their_value(platform: str, line: str, kept: str) -> None:
    out = sanitize_config(line, platform)
    assert kept in out
    assert "0822455D0A16" not in out and "$6$" not in out and "kominfo" not in out


def test_ordinary_config_lines_are_untouched() -> None:
    text = (
        "hostname dist-gerunggang\ninterface eth1\n description ke core-diskominfo (fibre 1000 Mbps)\n"
        " ip address 10.255.0.2/30\nrouter ospf\n network 10.20.0.0/24 area 0\nkey chain ospf\n key 1\n"
        "/interface bridge\nadd name=bridge-opd\n/ip address\nadd address=10.20.0.1/24 interface=bridge-opd\n"
        "set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/30\n"
    )
    assert sanitize_any(text) == text
    for platform in Platform:
        assert sanitize_config(text, platform) == text


def test_rules_come_from_napalm_where_it_has_them() -> None:
    from napalm.base.constants import CISCO_SANITIZE_FILTERS, EOS_SANITIZE_FILTERS

    assert [f["regex"] for f in rules(Platform.CISCO_IOS).napalm] == list(CISCO_SANITIZE_FILTERS)
    assert [f["regex"] for f in rules(Platform.ARISTA_EOS).napalm] == list(EOS_SANITIZE_FILTERS)
    assert [f["regex"] for f in rules(Platform.FRR).napalm] == list(CISCO_SANITIZE_FILTERS)
    assert all("<removed>" not in f["replace"] for f in rules(Platform.CISCO_IOS).napalm)
    assert rules(Platform.MIKROTIK_ROUTEROS).own and rules(Platform.JUNIPER_JUNOS).own


def test_an_unknown_platform_gets_every_rule() -> None:
    assert (
        sanitize_config('set system root-authentication encrypted-password "$1$x$y"', "vyos").count(REDACTED)
        == 1
    )
