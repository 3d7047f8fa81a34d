"""KeaControl (sipelangi_net/drivers/kea.py) against a real Kea 2.2 and its Control Agent, started by
the lab's sipelangi_net/lab/kea.py on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
from kea_server import PASSWORD, USER, LocalKea, free_port, relay_discover

from sipelangi_net.change import dhcp
from sipelangi_net.drivers.kea import KeaControl
from sipelangi_net.errors import DeviceAuthError, DeviceError, DeviceTimeout, InventoryError, LabError
from sipelangi_net.lab import kea

HAND_MADE = {  # an entry the city's staff wrote by hand, before any ticket
    "id": 1,
    "subnet": "192.168.100.0/24",
    "pools": [{"pool": "192.168.100.50 - 192.168.100.99"}],
    "option-data": [{"name": "routers", "data": "192.168.100.1"}],
}


def opd_scope(ticket: str = "SPL-2026-00011") -> dhcp.Scope:
    return dhcp.Scope(
        ticket_id=ticket,
        subnet=IPv4Network("10.30.11.0/24"),
        gateway=IPv4Address("10.30.11.1"),
        first=IPv4Address("10.30.11.100"),
        last=IPv4Address("10.30.11.199"),
        dns=(IPv4Address("10.0.0.53"),),
    )


URL = r"http://127\.0\.0\.1:\d+/"


def client(url: str, *, password: str | None = PASSWORD, timeout: float = 10.0) -> KeaControl:
    return KeaControl(name="kea-pusat", url=url, username=USER, password=password, timeout=timeout)


@pytest.fixture
def server(local_kea: LocalKea) -> kea.KeaServer:
    return local_kea.server


@pytest.fixture
def control(server: kea.KeaServer) -> Iterator[KeaControl]:
    """A client of the module's server, which starts each test with only the hand-made entry."""
    with client(server.url) as kea_ca:
        kea_ca.set_subnets([HAND_MADE])
        yield kea_ca


def test_a_list_set_is_the_list_read_back_and_saved_for_a_restart(
    control: KeaControl, server: kea.KeaServer
) -> None:
    entry = dhcp.scope_entry(opd_scope())
    control.set_subnets([HAND_MADE, entry])
    back = control.subnets()
    assert dhcp.subnet_lines(back) == dhcp.subnet_lines([HAND_MADE, entry])
    ours = next(e for e in back if e["id"] == entry["id"])
    assert ours["user-context"] == {"sipelangi": {"ticket": "SPL-2026-00011"}}
    assert ours["relay"] == {"ip-addresses": ["10.30.11.1"]}
    saved = json.loads(server.paths.dhcp4_conf.read_text(encoding="utf-8"))  # config-write
    assert dhcp.subnet_lines(saved["Dhcp4"]["subnet4"]) == dhcp.subnet_lines(back)
    assert "hash" not in control.get_config()
    assert control.shared_subnets() == []


def test_the_scope_is_added_then_the_list_before_is_set_back_exactly(control: KeaControl) -> None:
    before = control.subnets()  # the backup
    after = dhcp.with_scope("kea-pusat", before, opd_scope())
    control.set_subnets(after)
    running = control.subnets()
    assert dhcp.scope_commands("kea-pusat", before, running) == (
        "subnet4 add " + dhcp.subnet_lines([dhcp.scope_entry(opd_scope())])[0],
    )
    assert dhcp.with_scope("kea-pusat", running, opd_scope()) == running  # a second run changes nothing
    with pytest.raises(DeviceError, match=r"collides with subnet4 10\.30\.11\.0/24 .*ticket SPL-2026-00011"):
        dhcp.with_scope("kea-pusat", running, opd_scope("SPL-2026-00012"))
    control.set_subnets(before)  # the rollback
    assert control.subnets() == before


def test_a_relayed_discover_is_offered_an_address_of_the_scope_and_nothing_after_the_rollback(
    control: KeaControl, local_kea: LocalKea
) -> None:
    gateway = IPv4Address("127.77.0.1")  # the relay (a gateway's dhcrelay): on lo, so the offer comes back
    scope = dhcp.Scope(
        ticket_id="SPL-2026-00013",
        subnet=IPv4Network("127.77.0.0/24"),
        gateway=gateway,
        first=IPv4Address("127.77.0.100"),
        last=IPv4Address("127.77.0.119"),
        dns=(IPv4Address("10.0.0.53"),),
    )
    pc = bytes.fromhex("02005e000013")
    before = control.subnets()
    assert relay_discover(local_kea, gateway, pc) is None  # no scope for that relay yet
    control.set_subnets(dhcp.with_scope("kea-pusat", before, scope))
    offer = relay_discover(local_kea, gateway, pc)
    assert offer is not None
    assert scope.first <= offer.address <= scope.last
    assert offer.routers == (gateway,) and offer.dns == (IPv4Address("10.0.0.53"),)
    control.set_subnets(before)  # the rollback
    assert relay_discover(local_kea, gateway, bytes.fromhex("02005e000014")) is None


def test_a_list_kea_refuses_surfaces_keas_reason_and_changes_nothing(control: KeaControl) -> None:
    before = control.subnets()
    bad = {
        **dhcp.scope_entry(opd_scope()),
        "pools": [{"pool": "10.99.0.10-10.99.0.20"}],
    }  # outside its subnet
    kea_says = r"10\.99\.0\.10-10\.99\.0\.20 does not match the prefix of a subnet: 10\.30\.11\.0/24"
    with pytest.raises(
        DeviceError, match=rf"^kea-pusat: {URL}: config-test refused \(result 1\): .*{kea_says}"
    ):
        control.set_subnets([HAND_MADE, bad])
    assert control.subnets() == before


def test_a_wrong_password_is_refused_without_showing_it(server: kea.KeaServer) -> None:
    wrong = "not-the-Pw-9f3a"
    refused = rf"^kea-pusat: {URL}: credentials refused \(HTTP 401\) for user 'sipelangi'"
    with (
        client(server.url, password=wrong) as kea_ca,
        pytest.raises(DeviceAuthError, match=refused) as caught,
    ):
        kea_ca.subnets()
    assert wrong not in str(caught.value) and PASSWORD not in str(caught.value)
    with client(server.url, password=None) as kea_ca, pytest.raises(DeviceAuthError):
        kea_ca.command("config-get")


def test_no_server_and_a_silent_server_name_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    unreachable = rf"^kea-pusat: {url}: cannot reach the Kea Control Agent"
    with client(url, timeout=2) as kea_ca, pytest.raises(DeviceError, match=unreachable) as caught:
        kea_ca.subnets()
    assert PASSWORD not in str(caught.value)
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        silence = rf"^kea-pusat: {url}: no answer to config-get in 0\.3 s"
        with client(url, timeout=0.3) as kea_ca, pytest.raises(DeviceTimeout, match=silence):
            kea_ca.subnets()


class _NotKea(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html>a captive portal</html>" if self.path == "/" else b'[{"text": "no result"}]'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_an_answer_that_is_not_keas_is_refused() -> None:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _NotKea)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        html = r"config-get: the answer is not JSON: '<html>a captive"
        with client(base + "/") as kea_ca, pytest.raises(DeviceError, match=html):
            kea_ca.get_config()
        with (
            client(base + "/x") as kea_ca,
            pytest.raises(DeviceError, match=r"config-get: the answer has no result"),
        ):
            kea_ca.get_config()
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.5:8000/", r"plain http to 10\.0\.0\.5: .*use https for a real server"),
        ("http://kea.pangkalpinang.go.id/", r"plain http to kea\.pangkalpinang\.go\.id"),
        ("https://admin:s3cret@10.0.0.5/", r"holds a user name or password"),
        ("ftp://10.0.0.5/", r"expected https://HOST"),
    ],
)
def test_a_url_that_would_expose_the_password_is_refused(url: str, message: str) -> None:
    with pytest.raises(InventoryError, match=r"^kea-pusat: Kea Control Agent URL .*" + message) as caught:
        KeaControl(name="kea-pusat", url=url, username=USER, password=PASSWORD)
    assert "s3cret" not in str(caught.value)
    for fine in (
        "https://10.0.0.5:8000/",
        "http://127.0.0.1:8000/",
        "http://[::1]:8000/",
        "http://localhost/",
    ):
        KeaControl(name="kea-pusat", url=fine, username=USER, password=PASSWORD).close()


def test_the_password_is_only_in_the_agents_config_file_which_only_root_reads(server: kea.KeaServer) -> None:
    assert server.paths.ca_conf.stat().st_mode & 0o777 == 0o600
    holding = [
        p.name for p in server.paths.root.iterdir() if p.is_file() and PASSWORD.encode() in p.read_bytes()
    ]
    assert holding == [server.paths.ca_conf.name]
    assert server.dhcp4_pid != server.ca_pid


def test_a_server_that_cannot_start_is_a_lab_error_with_its_log_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:  # the Control Agent's port is in use
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LabError, match=r"kea-ctrl-agent exited(.|\n)*--- .*kea-ctrl-agent") as caught:
            kea.start(tmp_path, port=port, username=USER, password=PASSWORD, timeout=5)
    assert PASSWORD not in str(caught.value)
    assert kea.stop(tmp_path) == []
    assert not list(tmp_path.glob("*.pid"))
    dhcp4_pid_gone = not any(
        (Path("/proc") / p.name / "cmdline").exists()
        and str(tmp_path).encode() in (Path("/proc") / p.name / "cmdline").read_bytes()
        for p in Path("/proc").iterdir()
        if p.name.isdigit()
    )
    assert dhcp4_pid_gone
