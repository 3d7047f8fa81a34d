"""sipelangi_net outside the lab stays portable (Linux, macOS, Windows): a scan of its source.

Every import of a POSIX-only module (fcntl, pwd, grp, termios, resource, ...) and every use of an
``os`` / ``signal`` / ``socket`` / ``select`` name that Windows' Python lacks must be under an
explicit guard: an ``if`` (or ``and``) on ``sys.platform``, ``os.name``, ``hasattr(...)`` or
``is_linux(...)``; a ``try`` that catches ImportError or AttributeError; or in a function that
first returns on such a test or calls ``require_linux``. What is left is listed in ALLOWED with
the reason. ``sipelangi_net/lab/`` needs Linux and root and is not scanned.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sipelangi_net"
POSIX_MODULES = frozenset(
    {"fcntl", "pwd", "grp", "termios", "resource", "pty", "tty", "crypt", "posix", "syslog", "spwd", "nis"}
)
POSIX_NAMES = {
    "os": {
        "geteuid", "getuid", "getegid", "getgid", "setuid", "setgid", "seteuid", "setegid", "getgroups",
        "initgroups", "fork", "forkpty", "setsid", "setpgid", "setpgrp", "getpgid", "killpg", "fchmod",
        "fchown", "chown", "lchown", "major", "minor", "makedev", "mkfifo", "mknod", "statvfs",
        "getloadavg", "nice", "uname", "sync", "pipe2", "wait3", "wait4", "WNOHANG", "sched_getaffinity",
        "O_NONBLOCK", "O_CLOEXEC", "O_NOFOLLOW", "O_DIRECTORY", "O_NOCTTY", "set_blocking",
        "get_blocking", "openpty", "ttyname", "getlogin_r", "sysconf", "confstr", "pathconf",
    },
    "signal": {
        "SIGHUP", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCHLD", "SIGQUIT", "SIGPIPE", "SIGSTOP",
        "SIGCONT", "alarm", "setitimer", "getitimer", "pause", "siginterrupt", "pthread_kill",
        "pthread_sigmask", "sigwait",
    },
    "socket": {"AF_UNIX", "SOCK_RAW", "AF_PACKET", "SO_BINDTODEVICE"},
    "select": {"poll", "epoll", "kqueue"},
    "shutil": {"chown"},
}  # fmt: skip
GUARD_CALLS = frozenset({"hasattr", "is_linux"})
GUARD_ATTRS = frozenset({("sys", "platform"), ("os", "name")})
GUARD_STATEMENTS = frozenset({"require_linux"})
GUARD_EXCEPTIONS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError"})

ALLOWED: dict[tuple[str, str], str] = {}
"""(file under sipelangi_net/, name) -> why it may stand unguarded."""


def _is_guard(expr: ast.AST) -> bool:
    for node in ast.walk(expr):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in GUARD_ATTRS
        ):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GUARD_CALLS:
            return True
    return False


def _catches(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in GUARD_EXCEPTIONS for n in names)


def _guards_function(stmt: ast.stmt) -> bool:
    """``if <guard>: return/raise ...`` or ``require_linux(...)`` among a function's statements."""
    if isinstance(stmt, ast.If) and _is_guard(stmt.test):
        return bool(stmt.body) and isinstance(stmt.body[-1], ast.Return | ast.Raise)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        return isinstance(func, ast.Name) and func.id in GUARD_STATEMENTS
    return False


@dataclass
class Scan(ast.NodeVisitor):
    """The unguarded POSIX-only uses in one module: ``(line, name)``."""

    found: list[tuple[int, str]] = field(default_factory=list)
    depth: int = 0

    def _guarded(self, nodes: list[ast.AST] | list[ast.stmt] | list[ast.expr]) -> None:
        self.depth += 1
        for node in nodes:
            self.visit(node)
        self.depth -= 1

    def _refuse(self, node: ast.AST, name: str) -> None:
        if not self.depth:
            self.found.append((getattr(node, "lineno", 0), name))

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        if _is_guard(node.test):
            self._guarded([*node.body, *node.orelse])
        else:
            for stmt in [*node.body, *node.orelse]:
                self.visit(stmt)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.test)
        if _is_guard(node.test):
            self._guarded([node.body, node.orelse])
        else:
            self.visit(node.body)
            self.visit(node.orelse)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for index, value in enumerate(node.values):
            if any(_is_guard(v) for v in node.values[:index]):
                self._guarded([value])
            else:
                self.visit(value)

    def visit_Try(self, node: ast.Try) -> None:
        if any(_catches(h) for h in node.handlers):
            self._guarded(node.body)
        else:
            for stmt in node.body:
                self.visit(stmt)
        for part in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(part)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if any(_guards_function(stmt) for stmt in node.body):
            self._guarded(node.body)
        else:
            self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.partition(".")[0] in POSIX_MODULES:
                self._refuse(node, f"import {alias.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level == 0 and module.partition(".")[0] in POSIX_MODULES:
            self._refuse(node, f"from {module} import")
        for alias in node.names:
            if node.level == 0 and alias.name in POSIX_NAMES.get(module, set()):
                self._refuse(node, f"{module}.{alias.name}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.attr in POSIX_NAMES.get(node.value.id, set()):
            self._refuse(node, f"{node.value.id}.{node.attr}")
        self.generic_visit(node)


def scan(source: str) -> list[tuple[int, str]]:
    found = Scan()
    found.visit(ast.parse(source))
    return found.found


def test_no_posix_only_module_or_call_outside_the_lab_unless_guarded() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("lab/"):
            continue
        for line, name in scan(path.read_text(encoding="utf-8")):
            if (relative, name) not in ALLOWED:
                problems.append(f"sipelangi_net/{relative}:{line}: {name}")
    assert not problems, (
        "POSIX-only modules or calls outside sipelangi_net/lab/ without a guard (sys.platform, os.name,"
        " hasattr, try/except ImportError) or an ALLOWED entry with its reason:\n" + "\n".join(problems)
    )


def test_every_allowed_entry_is_still_needed() -> None:
    used = set()
    for relative, name in ALLOWED:
        found = scan((PACKAGE / relative).read_text(encoding="utf-8"))
        if any(n == name for _, n in found):
            used.add((relative, name))
    assert used == set(ALLOWED), f"ALLOWED entries no longer needed: {sorted(set(ALLOWED) - used)}"


def test_the_scan_refuses_what_it_should_and_accepts_the_guards() -> None:
    refused = scan(
        "import fcntl\n"
        "from pwd import getpwuid\n"
        "import os, signal\n"
        "def f():\n"
        "    return os.geteuid() == 0 or signal.SIGHUP\n"
        "x = os.O_NONBLOCK\n"
    )
    assert [name for _, name in refused] == [
        "import fcntl", "from pwd import", "os.geteuid", "signal.SIGHUP", "os.O_NONBLOCK",
    ]  # fmt: skip
    guarded = scan(
        "import os, sys, signal\n"
        "try:\n    import fcntl\nexcept ImportError:\n    fcntl = None\n"
        "if sys.platform != 'win32':\n    import pwd\n"
        "root = hasattr(os, 'geteuid') and os.geteuid() == 0\n"
        "flag = os.O_NONBLOCK if os.name == 'posix' else 0\n"
        "def early():\n    if not sys.platform.startswith('linux'):\n        return 0\n"
        "    return os.major(1)\n"
        "def linux_only():\n    require_linux('the lab')\n    return signal.SIGKILL\n"
    )
    assert guarded == []
