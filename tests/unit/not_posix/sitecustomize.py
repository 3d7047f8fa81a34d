"""A Python that plays Windows for sipelangi_net (put this folder first on PYTHONPATH of a child).

- ``import fcntl`` / ``pwd`` / ``grp`` / ``termios`` / ``resource`` from a module of
  ``sipelangi_net`` fails as on Windows (other packages, e.g. portalocker, still get them: they
  choose their own way per system);
- the ``os`` and ``signal`` names that Windows' Python 3.11 lacks are removed for everyone.

A CLI command that works under it uses no POSIX-only module or call on its way.
"""

from __future__ import annotations

import builtins
import os
import signal
from typing import Any

REFUSED = frozenset({"fcntl", "pwd", "grp", "termios", "resource"})
OS_NAMES = (
    "geteuid", "getuid", "getegid", "getgid", "fork", "setsid", "killpg", "getpgid", "fchmod",
    "fchown", "chown", "mkfifo", "statvfs", "getloadavg", "nice", "uname",
    "O_NONBLOCK", "O_CLOEXEC", "O_NOFOLLOW", "set_blocking",
)  # fmt: skip
SIGNAL_NAMES = ("SIGHUP", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGQUIT", "alarm", "setitimer")
_real_import = builtins.__import__


def _import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    importer = str((globals or {}).get("__name__", ""))
    if level == 0 and name.partition(".")[0] in REFUSED and importer.startswith("sipelangi_net"):
        why = f"No module named {name!r} ({importer}: this Python plays Windows)"
        raise ModuleNotFoundError(why, name=name)
    return _real_import(name, globals, locals, fromlist, level)


builtins.__import__ = _import
for _name in OS_NAMES:
    if hasattr(os, _name):
        delattr(os, _name)
for _name in SIGNAL_NAMES:
    if hasattr(signal, _name):
        delattr(signal, _name)
