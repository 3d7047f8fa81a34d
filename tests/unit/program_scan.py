"""Which external programs the project runs: a static scan of its Python (AST) and shell.

Python: every call of a standard-library runner (``subprocess.run``/``Popen``/``call``/
``check_call``/``check_output``, ``os.exec*``, ``os.spawn*``, ``shutil.which``,
``asyncio.create_subprocess_exec``) is found, also through the project's own helpers: a call
of a project function that (transitively) reaches a runner is followed into it with the
call's arguments bound to its parameters, so ``run([*nsenter(paths, n), "vtysh", "-b"])``
yields ``nsenter`` and ``vtysh``, and ``lab_exec(node, "ping", ...)`` yields ``ping``.
Command words are read from list and tuple literals, names assigned them, functions that
return them, and ``+``; the program is the first word, and the program a wrapper runs
(``nsenter ... --``, ``unshare``, ``setsid``, ``ip netns exec NS``, ``sipelangi-net lab exec
NODE --``, ``sh -c SCRIPT``) counts as well. A runner whose command cannot be read at all is
reported as unresolved, unless the command comes from a parameter of the function being
scanned (a pass-through helper: its callers are scanned instead).

Shell: ``#!``-scripts (``dev.sh``, ``scripts/*.sh``, ``.ci/run``) and shell text kept in
Python (the lab devices' SSH session wrappers): the first word of each simple command.
OVS device commands (strings that start with ``ovs-...``) run in the device's shell too.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

UNKNOWN = "\0?"  # a command word whose value cannot be read statically
PARAM = "\0param"  # ... because it comes from an unbound parameter (a pass-through helper)

SUBPROCESS = {"run": 0, "Popen": 0, "call": 0, "check_call": 0, "check_output": 0}
SHELL_RUNNERS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
}
OS_EXEC = re.compile(r"^(exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)$")
WRAPPERS = {"nsenter", "unshare", "setsid", "env", "timeout", "nice", "setpriv"}
WRAPPER_VALUE_OPTIONS = {"--propagation", "-n", "-t", "--target"}
SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash"}
SHELL_SKIP = {
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in",
    "function", "!", "[", "[[", "]]", "]", "local", "export", "return", "exit", "set", "cd",
    "echo", "printf", "trap", "kill", "wait", "read", "shift", "true", "false", ":", "source", ".",
    "mapfile", "readonly", "declare", "test", "break", "continue", "unset", "eval", "pwd", "type",
    "command",
}  # fmt: skip
SHELL_PREFIXES = {"exec", "then", "do", "else", "elif", "if", "while", "until", "!", "time", "{", "}"}
SHELL_OPERATORS = {";", ";;", "&&", "||", "|", "&", "(", ")", "`", "\n"}


@dataclass(frozen=True, slots=True)
class Use:
    program: str
    where: str  # path:line


@dataclass(slots=True)
class Module:
    name: str
    path: Path
    tree: ast.Module
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    every_function: list[ast.FunctionDef] = field(default_factory=list)  # nested and methods too
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted target


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where an expression is read: its module, its function, and that function's bound parameters."""

    module: Module
    function: ast.FunctionDef | None
    bindings: dict[str, tuple[list[ast.expr] | ast.expr, Ctx] | None]
    depth: int = 0


class Index:
    def __init__(self, root: Path, files: list[Path]) -> None:
        self.root = root
        self.modules: dict[str, Module] = {}
        self.methods: dict[str, list[tuple[Module, ast.FunctionDef]]] = {}
        for f in files:
            self._add(f)
        self.reaching = self._reaching()

    def _add(self, path: Path) -> None:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        name = ".".join(path.relative_to(self.root).with_suffix("").parts)
        mod = Module(name, path, tree)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                mod.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        self.methods.setdefault(item.name, []).append((mod, item))
        mod.every_function = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    mod.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    mod.imports[alias.asname or alias.name] = alias.name
        self.modules[name] = mod

    def module(self, dotted: str) -> Module | None:
        if dotted in self.modules:
            return self.modules[dotted]
        tail = [m for n, m in self.modules.items() if n.endswith("." + dotted)]
        return tail[0] if len(tail) == 1 else None

    def function(self, dotted: str) -> tuple[Module, ast.FunctionDef] | None:
        mod_name, _, fn = dotted.rpartition(".")
        mod = self.module(mod_name)
        if mod and fn in mod.functions:
            return mod, mod.functions[fn]
        return None

    def _reaching(self) -> set[int]:
        """ids of the function definitions that reach a standard-library runner (a fixpoint)."""
        found: set[int] = set()
        changed = True
        while changed:
            changed = False
            for mod, fn in self.all_functions():
                if id(fn) in found:
                    continue
                if any(self.reaches(c, mod, found) for c in calls_in(fn)):
                    found.add(id(fn))
                    changed = True
        return found

    def all_functions(self) -> Iterator[tuple[Module, ast.FunctionDef]]:
        for mod in self.modules.values():
            for fn in mod.every_function:
                yield mod, fn

    def reaches(self, call: ast.Call, mod: Module, found: set[int]) -> bool:
        return stdlib_runner(call, mod) is not None or any(
            id(f) in found for _m, f in self.callees(call, mod)
        )

    def callees(self, call: ast.Call, mod: Module) -> list[tuple[Module, ast.FunctionDef]]:
        """The project functions ``call`` may call (by local name, import, module alias or method name)."""
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in mod.functions:
                return [(mod, mod.functions[func.id])]
            target = mod.imports.get(func.id)
            hit = self.function(target) if target else None
            return [hit] if hit else []
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            target = mod.imports.get(func.value.id)
            if target:
                hit = self.function(f"{target}.{func.attr}")
                return [hit] if hit else []
            return [(m, f) for m, f in self.methods.get(func.attr, []) if m is mod]
        return []


_CALLS: dict[int, tuple[ast.AST, list[ast.Call]]] = {}


def calls_in(node: ast.AST) -> list[ast.Call]:
    """Every call in ``node`` (cached; the entry holds the node, so its id is not reused)."""
    if _CALLS.get(id(node), (None,))[0] is not node:
        _CALLS[id(node)] = (node, [n for n in ast.walk(node) if isinstance(n, ast.Call)])
    return _CALLS[id(node)][1]


def stdlib_runner(call: ast.Call, mod: Module) -> tuple[str, int] | None:
    """``(kind, index of the command argument)`` when ``call`` runs a program through the standard library."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return None
    module = mod.imports.get(func.value.id, func.value.id)
    shell = any(kw.arg == "shell" and not _false(kw.value) for kw in call.keywords)
    if (module, func.attr) in SHELL_RUNNERS or (module == "subprocess" and shell):
        return "shell", 0
    if module == "subprocess" and func.attr in SUBPROCESS:
        return "argv", SUBPROCESS[func.attr]
    if module == "os" and OS_EXEC.match(func.attr):
        return ("argv", 1) if func.attr[-1] in "vpe" and "l" not in func.attr else ("word", 0)
    if (module, func.attr) in (("shutil", "which"), ("asyncio", "create_subprocess_exec")):
        return "word", 0
    return None


def _false(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and not expr.value


# --------------------------------------------------------------------------- reading command words


_ASSIGNMENTS: dict[int, tuple[ast.AST, dict[str, ast.expr]]] = {}


def _assignments(scope: ast.AST) -> dict[str, ast.expr]:
    """name -> the value first assigned to it anywhere in ``scope`` (cached; the entry holds the node)."""
    if _ASSIGNMENTS.get(id(scope), (None,))[0] is not scope:
        found: dict[str, ast.expr] = {}
        for node in ast.walk(scope):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    found.setdefault(t.id, node.value)  # type: ignore[union-attr]
        _ASSIGNMENTS[id(scope)] = (scope, found)
    return _ASSIGNMENTS[id(scope)][1]


def _assigned(name: str, ctx: Ctx, index: Index) -> tuple[ast.expr, Ctx] | None:
    """The value first assigned to ``name``: in the function, the module, or where it is imported from."""
    if ctx.function is not None and name in _assignments(ctx.function):
        return _assignments(ctx.function)[name], ctx
    if name in _assignments(ctx.module.tree):
        return _assignments(ctx.module.tree)[name], Ctx(ctx.module, None, {}, ctx.depth)
    mod_name, _, attr = ctx.module.imports.get(name, "").rpartition(".")
    source = index.module(mod_name) if mod_name else None
    if source is not None and attr in _assignments(source.tree):
        return _assignments(source.tree)[attr], Ctx(source, None, {}, ctx.depth)
    return None


def _lookup(name: str, ctx: Ctx, index: Index) -> tuple[list[ast.expr] | ast.expr, Ctx] | str | None:
    """A name's value: a bound argument, an assignment, or PARAM for an unbound parameter."""
    if name in ctx.bindings:
        return ctx.bindings[name] or PARAM
    if ctx.function is not None and name in _params(ctx.function):
        return PARAM
    return _assigned(name, ctx, index)


def _params(fn: ast.FunctionDef) -> list[str]:
    a = fn.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    return [*names, *([a.vararg.arg] if a.vararg else []), *([a.kwarg.arg] if a.kwarg else [])]


def words(expr: ast.expr, ctx: Ctx, index: Index) -> list[str]:
    """The command words ``expr`` (a list, tuple, name, call returning one, or a sum) holds."""
    if ctx.depth > 12:
        return [UNKNOWN]
    if isinstance(expr, ast.List | ast.Tuple):
        out: list[str] = []
        for elt in expr.elts:
            out += words(elt.value, ctx, index) if isinstance(elt, ast.Starred) else [word(elt, ctx, index)]
        return out
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return words(expr.left, ctx, index) + words(expr.right, ctx, index)
    if isinstance(expr, ast.Name):
        return _name_words(expr.id, ctx, index)
    if isinstance(expr, ast.Call):
        return _call_words(expr, ctx, index)
    return [UNKNOWN]


def _name_words(name: str, ctx: Ctx, index: Index) -> list[str]:
    found = _lookup(name, ctx, index)
    if found is None or isinstance(found, str):
        return [found or UNKNOWN]
    value, scope = found
    if isinstance(value, list):  # a bound *args
        return words(ast.List(elts=value), scope, index)
    return words(value, _deeper(scope), index)


def _call_words(call: ast.Call, ctx: Ctx, index: Index) -> list[str]:
    if isinstance(call.func, ast.Name) and call.func.id in ("list", "tuple") and call.args:
        return words(call.args[0], ctx, index)
    for mod, fn in index.callees(call, ctx.module)[:1]:
        returns = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
        if returns:
            return words(returns[-1], bind(call, ctx, mod, fn), index)
    return [UNKNOWN]


def word(expr: ast.expr, ctx: Ctx, index: Index) -> str:
    """One command word: a string, a name holding one, or the project's own programs."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name):
        found = _lookup(expr.id, ctx, index)
        if found is None or isinstance(found, str):
            return found or UNKNOWN
        value, scope = found
        return UNKNOWN if isinstance(value, list) else word(value, _deeper(scope), index)
    if isinstance(expr, ast.JoinedStr):  # f"/usr/lib/frr/{daemon}" -> "/usr/lib/frr/*"
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "*" for v in expr.values)
    if isinstance(expr, ast.Call) and len(expr.args) == 1:
        inner = _call_word(expr, ctx, index)
        if inner is not None:
            return inner
    texts = {n.value for n in ast.walk(expr) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    if "sipelangi-net" in texts:
        return "sipelangi-net"
    if any(isinstance(n, ast.Attribute) and n.attr == "executable" for n in ast.walk(expr)):
        return "<python>"
    if _is_join(expr):
        return _script(expr, ctx)
    return UNKNOWN


def _call_word(call: ast.Call, ctx: Ctx, index: Index) -> str | None:
    """``str(x)``/``os.fspath(x)``: the word of x; ``shutil.which("p")``: p."""
    func = call.func
    if (isinstance(func, ast.Name) and func.id == "str") or (
        isinstance(func, ast.Attribute) and func.attr == "fspath"
    ):
        return word(call.args[0], ctx, index)
    if stdlib_runner(call, ctx.module) == ("word", 0):
        return word(call.args[0], ctx, index)
    return None


def _is_join(expr: ast.expr) -> bool:
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "join"
        and isinstance(expr.func.value, ast.Constant)
        and len(expr.args) == 1
        and isinstance(expr.args[0], ast.Name)
    )


def _script(expr: ast.expr, ctx: Ctx) -> str:
    """A shell script joined from a list of lines (``"; ".join(script)``): the first word of each line."""
    assert isinstance(expr, ast.Call) and isinstance(expr.args[0], ast.Name)
    name = expr.args[0].id
    lines: list[ast.expr] = []
    value = _assignments(ctx.function or ctx.module.tree).get(name)
    if isinstance(value, ast.List):
        lines += value.elts
    for node in ast.walk(ctx.function or ctx.module.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "append"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
        ):
            lines += node.args
    return "; ".join(_leading_text(line) for line in lines)


def _leading_text(expr: ast.expr) -> str:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr) and expr.values and isinstance(expr.values[0], ast.Constant):
        return str(expr.values[0].value)
    return UNKNOWN


def _deeper(ctx: Ctx) -> Ctx:
    return Ctx(ctx.module, ctx.function, ctx.bindings, ctx.depth + 1)


def bind(call: ast.Call, ctx: Ctx, mod: Module, fn: ast.FunctionDef) -> Ctx:
    """The context of ``fn``'s body with ``call``'s arguments bound to its parameters."""
    a = fn.args
    positional = [p.arg for p in (*a.posonlyargs, *a.args)]
    if positional[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute):
        positional = positional[1:]
    bindings: dict[str, tuple[list[ast.expr] | ast.expr, Ctx] | None] = {}
    args = list(call.args)
    for name, value in zip(positional, args, strict=False):
        bindings[name] = None if isinstance(value, ast.Starred) else (value, ctx)
    defaults = dict(zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=True))
    for name in positional[len(args) :]:
        bindings[name] = (defaults[name], Ctx(mod, None, {})) if name in defaults else None
    if a.vararg:
        bindings[a.vararg.arg] = (args[len(positional) :], ctx)
    for kw in call.keywords:
        if kw.arg:
            bindings[kw.arg] = (kw.value, ctx)
    return Ctx(mod, fn, bindings, ctx.depth + 1)


# --------------------------------------------------------------------------- from words to programs


def programs_of(argv: list[str]) -> list[str]:
    """The programs a command runs: its first word, and what a wrapper in it runs."""
    while argv and argv[0] == UNKNOWN:
        argv = argv[1:]  # a prefix that cannot be read (its programs are found where it is built)
    if not argv or argv[0].startswith("\0"):
        return []
    program, rest = argv[0], argv[1:]
    inner = _wrapped(program, rest)
    if os.path.basename(program) in SHELLS and len(rest) >= 2 and rest[0] in ("-c", "-ec", "-ce"):
        return [program, *shell_programs(rest[1])]
    return [program, *(programs_of(inner) if inner is not None else [])]


def _wrapped(program: str, rest: list[str]) -> list[str] | None:
    """The command a wrapper runs, or None when ``program`` is no wrapper."""
    base = os.path.basename(program)
    if base == "sipelangi-net" and rest[:2] == ["lab", "exec"]:
        return rest[rest.index("--") + 1 :] if "--" in rest else rest[3:]
    if base == "ip" and rest[:2] == ["netns", "exec"]:
        return rest[3:]
    if base == "nsenter" and "--" in rest:
        return rest[rest.index("--") + 1 :]
    if base.startswith("python"):  # python [-I ...] SCRIPT: the script is a program too (-m, -c: not)
        script = [w for w in rest if not w.startswith("-")][:1]
        options = rest[: rest.index(script[0])] if script else rest
        return script if script and not {"-m", "-c"} & set(options) and script[0].startswith("/") else []
    if base in WRAPPERS:
        i = 0
        while i < len(rest) and (rest[i] == UNKNOWN or rest[i].startswith("-")):
            i += 2 if rest[i] in WRAPPER_VALUE_OPTIONS else 1
        return rest[i:]
    return None


def shell_programs(script: str, functions: set[str] | None = None) -> list[str]:
    """The first word of each simple command of a shell script (heredoc bodies, comments,
    case patterns, redirections, assignments and the script's own functions skipped)."""
    return [program for program, _line in shell_commands(script, functions)]


def shell_commands(script: str, functions: set[str] | None = None) -> list[tuple[str, int]]:
    """(program, line) of each simple command, as :func:`shell_programs`."""
    text = _strip(script)
    own = shell_functions(text) if functions is None else functions
    found = []
    for match in SUBSTITUTION.finditer(text):  # "$(...)", also inside double quotes
        offset = text.count("\n", 0, match.start())
        found += [(p, offset + n) for p, n in shell_commands(match.group(1), own)]
    for segment, line in _segments(text):
        command = _command_words(segment)
        if command and command[0] not in own:
            found += [(program, line) for program in programs_of(command)]
    return found


def shell_functions(script: str) -> set[str]:
    return set(re.findall(r"^\s*([A-Za-z_][\w-]*)\s*\(\)", script, re.M))


def _command_words(segment: list[str]) -> list[str]:
    """The command of a segment (its program first), or [] when it runs no program."""
    ws = [w for w in segment if not re.match(r"^[A-Za-z_]\w*(\[[^]]*\])?\+?=", w)]
    while ws and ws[0] in SHELL_PREFIXES:
        ws = ws[1:]
    if not ws or ws[0] in SHELL_SKIP or ws[0] in ("for", "case", "select"):
        return []
    first = ws[0]
    if first.startswith(("$", "-", "{", "\0", "./")) or ("/" in first and not first.startswith("/")):
        return []  # a variable, an option, a template field, or the project's own script
    return ws


def _strip(script: str) -> str:
    """The script with comments dropped and heredoc bodies blanked (line numbers hold)."""
    out, lines, i = [], script.splitlines(), 0
    while i < len(lines):
        line = re.sub(r"(^|\s)#.*$", "", lines[i])  # "#" inside a word or quotes stays
        out.append(line)
        heredoc = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        i += 1
        if heredoc:
            while i < len(lines) and lines[i].strip() != heredoc.group(1):
                out.append("")  # the body: text, not commands
                i += 1
            if i < len(lines):
                out.append("")  # the terminator
                i += 1
    return "\n".join(out)


SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")
REDIRECT = re.compile(r"^\d*[<>]")


def _tokens(script: str) -> Iterator[tuple[str, int]]:
    """(token, line): shell words and operators; runs of operator characters (``);``, ``>&``) come apart."""
    lexer = shlex.shlex(script.replace("$(", " ( "), posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace = " \t\r"
    lexer.commenters = ""
    lexer.wordchars += "+$%{}[]@#:,!^\\"
    line = 1
    try:
        for token in lexer:
            if set(token) <= set(";&|()<>"):
                yield from ((op, line) for op in re.findall(r"[()]|;;|&&|\|\||[;&|]|[<>]+&?|&>", token))
            else:
                yield token, line
            line += token.count("\n")
    except ValueError:  # an unbalanced quote: not really shell
        return


def _segments(script: str) -> Iterator[tuple[list[str], int]]:
    """(words, line) of each simple command; one closed by an unopened ``)`` is a case pattern (dropped)."""
    segment: list[str] = []
    depth, skip_next, pattern, start = 0, False, False, 1
    for token, line in _tokens(script):
        if not segment:
            start = line
        if pattern:  # case patterns up to ")"
            pattern = token not in (")", "esac")
        elif (token == "in" and segment[:1] == ["case"]) or token == ";;":
            yield segment, start
            pattern, segment = True, []
        elif skip_next and token != "(":  # a redirection's target (but "<(...)" runs a command)
            skip_next = False
        elif REDIRECT.match(token) or token in ("&>", ">&", "<&"):
            skip_next = True
        elif token == ")" and not depth:
            segment = []  # closes a case pattern
        elif token in SHELL_OPERATORS:
            depth += {"(": 1, ")": -1}.get(token, 0)
            yield segment, start
            segment = []
        else:
            segment.append(token)
    yield segment, start


# --------------------------------------------------------------------------- the scan


def _scan_function(
    mod: Module, fn: ast.FunctionDef | None, index: Index
) -> Iterator[tuple[str, ast.Call, str | None]]:
    """(program, call, None) for each program reached from the calls in ``fn`` (or the module's top
    level); (UNKNOWN, call, "path::function") for a runner whose command cannot be read."""
    ctx = Ctx(mod, fn, {})
    body = (
        fn.body
        if fn is not None
        else [n for n in mod.tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
    )
    for stmt in body:
        for call in calls_in(stmt):
            yield from ((p, call, ok) for p, ok in reached(call, ctx, index))


def reached(call: ast.Call, ctx: Ctx, index: Index) -> Iterator[tuple[str, str | None]]:
    """(program, None): what ``call`` runs, directly or through project helpers it calls;
    (UNKNOWN, "path::function") where a runner's command cannot be read."""
    runner = stdlib_runner(call, ctx.module)
    if runner is not None:
        yield from _direct(call, runner, ctx, index)
        return
    if ctx.depth > 8:
        return
    for mod, fn in index.callees(call, ctx.module):
        if id(fn) not in index.reaching:
            continue
        inner = bind(call, ctx, mod, fn)
        for node in calls_in(fn):
            yield from reached(node, inner, index)


def _direct(
    call: ast.Call, runner: tuple[str, int], ctx: Ctx, index: Index
) -> Iterator[tuple[str, str | None]]:
    kind, at = runner
    if len(call.args) <= at:
        return
    arg = call.args[at]
    argv = words(arg, ctx, index) if kind == "argv" else [word(arg, ctx, index)]
    if PARAM in argv[:1]:
        return  # a pass-through helper: its callers are scanned
    found = shell_programs(argv[0]) if kind == "shell" and argv[0] != UNKNOWN else programs_of(argv)
    if not found:
        yield UNKNOWN, f"{ctx.module.name.replace('.', '/')}.py::{ctx.function.name if ctx.function else ''}"
    for program in found:
        yield program, None


def python_uses(index: Index) -> tuple[set[Use], dict[str, set[str]]]:
    """(programs run, {runner whose command cannot be read ("path::function"): the calls that reach it})."""
    uses: set[Use] = set()
    unresolved: dict[str, set[str]] = {}
    for mod in index.modules.values():
        rel = mod.path.relative_to(index.root)
        for fn in [None, *mod.every_function]:
            for program, call, runner in _scan_function(mod, fn, index):
                where = f"{rel}:{call.lineno}"
                if runner is None:
                    uses.add(Use(program, where))
                else:
                    unresolved.setdefault(runner, set()).add(where)
        uses |= _embedded_shell(mod, rel)
    return uses, unresolved


def _embedded_shell(mod: Module, rel: Path) -> set[Use]:
    """Shell text kept in Python (session wrappers) and OVS device commands (``ovs-...`` strings)."""
    uses = set()
    for node in ast.walk(mod.tree):
        text = _leading_text(node) if isinstance(node, ast.Constant | ast.JoinedStr) else UNKNOWN
        if text.startswith("#!/bin/sh") or "$SSH_ORIGINAL_COMMAND" in text:
            uses |= {Use(p, f"{rel}:{node.lineno}") for p in shell_programs(text)}
        elif re.match(r"^ovs(db)?-[a-z]+ ", text):
            uses.add(Use(text.split()[0], f"{rel}:{node.lineno}"))
    return uses


def shell_uses(root: Path, files: list[Path]) -> set[Use]:
    uses = set()
    for f in files:
        raw = f.read_text(encoding="utf-8")
        shebang = re.match(r"#!\s*(\S+)(?:\s+(\S+))?", raw)
        if shebang:  # "#!/usr/bin/env bash" runs bash
            interpreter = shebang.group(2) if shebang.group(1).endswith("/env") else shebang.group(1)
            uses.add(Use(interpreter, f"{f.relative_to(root)}:1"))
        uses |= {Use(p, f"{f.relative_to(root)}:{line}") for p, line in shell_commands(raw)}
    return uses
