"""SSH management of lab devices: one sshd per device on its loopback address.

Each device gets its own host key; ``lab up`` writes them to a known_hosts
file so clients verify devices exactly as they would on a real network. The
engineer's key and password go to a secrets file (mode 0600) in the lab's
state directory, never into the inventory.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import yaml

from sipelangi_net.errors import LabError
from sipelangi_net.lab.confirm import install_helper, session_dispatch
from sipelangi_net.lab.runtime import LAB_USER, LabPaths, nsenter, run
from sipelangi_net.lab.topology import LabTopology, Node
from sipelangi_net.platforms import Platform

FRR_SESSION = """#!/bin/sh
# sipelangi-net lab: SSH session of {name} (FRR): vtysh, or one command when given.
cd /
{commit_confirm}
if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /usr/bin/vtysh -H /dev/null -c "$SSH_ORIGINAL_COMMAND"; fi
exec /usr/bin/vtysh -H /dev/null
"""

OVS_SESSION = """#!/bin/sh
# sipelangi-net lab: SSH session of {name} (Open vSwitch): a shell where ovs-vsctl reaches this switch.
cd /
{commit_confirm}
if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"; fi
PS1='{name}$ ' exec /bin/sh -i
"""

SSHD_CONFIG = """# sipelangi-net lab: management sshd of {name}
ListenAddress {host}:{port}
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
AllowUsers {user}
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
PermitUserRC no
ForceCommand {dir}/session
PrintMotd no
PrintLastLog no
MaxStartups 200:30:400
LogLevel ERROR
"""


def _keygen(path: Path, comment: str) -> str:
    if path.exists():
        path.unlink()
        path.with_suffix(".pub").unlink(missing_ok=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return path.with_suffix(".pub").read_text().strip()


def known_hosts_line(host: str, port: int, pubkey: str) -> str:
    name = host if port == 22 else f"[{host}]:{port}"
    keytype, key = pubkey.split()[:2]
    return f"{name} {keytype} {key}"


def _device(node: Node, paths: LabPaths, client_pub: str) -> str:
    sdir = paths.node(node.name) / "ssh"
    sdir.mkdir(parents=True, exist_ok=True)
    os.chmod(sdir, 0o755)
    host_pub = _keygen(sdir / "ssh_host_ed25519_key", node.name)
    (sdir / "authorized_keys").write_text(client_pub + "\n")
    os.chmod(sdir / "authorized_keys", 0o644)
    assert node.platform is not None
    helper = install_helper(sdir, paths.node(node.name) / "run")
    session = FRR_SESSION if node.platform is Platform.FRR else OVS_SESSION
    dispatch = session_dispatch(helper, node.platform)
    (sdir / "session").write_text(session.format(name=node.name, commit_confirm=dispatch))
    os.chmod(sdir / "session", 0o755)
    (sdir / "sshd_config").write_text(
        SSHD_CONFIG.format(name=node.name, host=node.mgmt_host, port=node.mgmt_port, dir=sdir, user=LAB_USER)
    )
    enter = nsenter(paths, node.name, net=False)
    run([*enter, "/usr/sbin/sshd", "-f", str(sdir / "sshd_config")])
    assert node.mgmt_host is not None and node.mgmt_port is not None
    return known_hosts_line(node.mgmt_host, node.mgmt_port, host_pub)


def wait_listening(nodes: list[Node], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    for node in nodes:
        assert node.mgmt_host is not None and node.mgmt_port is not None
        while True:
            try:
                with socket.create_connection((node.mgmt_host, node.mgmt_port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise LabError(
                        f"{node.name}: sshd does not listen on {node.mgmt_host}:{node.mgmt_port}"
                    ) from None
                time.sleep(0.02)


def install_ssh(topo: LabTopology, paths: LabPaths, *, password: str) -> None:
    paths.client_key.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.client_key.parent, 0o700)
    client_pub = _keygen(paths.client_key, "sipelangi-net lab engineer")
    lines = [_device(node, paths, client_pub) for node in topo.devices]
    paths.known_hosts.write_text("\n".join(lines) + "\n")
    secrets = {
        "username": LAB_USER,
        "password": password,
        "ssh_key": str(paths.client_key),
        "known_hosts": str(paths.known_hosts),
    }
    fd = os.open(paths.secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# sipelangi-net lab credentials (written by 'lab up', removed by 'lab down')\n")
        yaml.safe_dump(secrets, f, sort_keys=False)
    wait_listening(topo.devices)
