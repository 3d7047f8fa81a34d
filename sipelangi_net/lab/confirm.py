"""Device-side commit-confirm of lab devices: install the helper, route SSH commands to it.

Real devices own their revert timer (Junos ``commit confirmed N``, Cisco
``configure replace ... revert timer``, MikroTik safe mode), so a change is
undone even when the program that pushed it dies. Lab devices get the same
from ``commit_confirm_script.py``, copied verbatim into each device's SSH
folder as ``commit-confirm`` (root-owned, mode 755) and run by the device's
SSH session when the command starts with ``commit-confirm``:

    commit-confirm arm SECONDS | confirm | rollback | status

The session runs as the lab user inside the device's mount and UTS
namespaces, so the helper's state lives in the device's own run folder
(``/run/frr/commit-confirm`` or ``/run/openvswitch/commit-confirm``).
``sipelangi_net.drivers.confirm`` is the client side.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sipelangi_net.lab.runtime import LAB_USER
from sipelangi_net.platforms import Platform

SCRIPT_SOURCE = Path(__file__).with_name("commit_confirm_script.py")
HELPER = "commit-confirm"
STATE_DIR = "commit-confirm"

# A shell fragment of the session wrapper. The command is split into words
# without globbing or any other expansion; the helper validates every word.
DISPATCH = """case "$SSH_ORIGINAL_COMMAND" in
commit-confirm | "commit-confirm "*)
    set -f
    set -- $SSH_ORIGINAL_COMMAND
    shift
    exec /usr/bin/python3 -I {helper} --platform={platform} "$@" ;;
esac"""


def session_dispatch(helper: Path, platform: Platform) -> str:
    """The session-wrapper lines that hand ``commit-confirm ...`` to the helper."""
    return DISPATCH.format(helper=helper, platform=platform.value)


def install_helper(ssh_dir: Path, run_dir: Path) -> Path:
    """Copy the helper into ``ssh_dir`` and give the lab user its state folder in ``run_dir``.

    ``run_dir`` is the device's folder mounted at /run/frr or /run/openvswitch.
    """
    helper = ssh_dir / HELPER
    shutil.copyfile(SCRIPT_SOURCE, helper)
    os.chown(helper, 0, 0)
    os.chmod(helper, 0o755)
    state = run_dir / STATE_DIR
    state.mkdir(exist_ok=True)
    shutil.chown(state, LAB_USER, LAB_USER)
    os.chmod(state, 0o750)
    return helper
