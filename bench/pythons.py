"""Which Pythons can install sipelangi-net, asked of the package index (no other Python needed here).

For each version, pip resolves the dependencies of pyproject.toml for that Python, wheels only
(``pip install --dry-run --ignore-installed --python-version V --only-binary=:all:``), so each
wheel's tags and ``Requires-Python`` are checked against V. A dependency with no wheel on the
index (an sdist only) is built here once into a pure wheel (``pip wheel --no-deps``) and offered
with ``--find-links``: its own ``Requires-Python`` is then checked like the others', and its
classifiers are printed. Then our code and the resolved dependencies installed here are searched
for imports of modules Python 3.12 and 3.13 removed.

    python bench/pythons.py [VERSION ...]      (default: 3.11 3.12 3.13 3.14)

Exit 0 when every version resolves; otherwise the failing versions and pip's reasons are printed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ("3.11", "3.12", "3.13", "3.14")
REMOVED = re.compile(
    r"^\s*(?:import|from)\s+(imp|distutils|asynchat|asyncore|smtpd|telnetlib|cgi|cgitb|crypt|pipes|nntplib"
    r"|audioop|chunk|imghdr|mailcap|msilib|nis|ossaudiodev|sndhdr|spwd|sunau|uu|xdrlib|lib2to3)\b",
    re.MULTILINE,
)
"""Modules removed in 3.12 (imp, distutils, asynchat, asyncore, smtpd) and 3.13 (PEP 594, lib2to3)."""
WHY = re.compile(r"(ERROR|The conflict|    \S.* depends on|Additionally|    \S+$|.*Requires-Python)")
NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9_.-]+)")
NO_WHEEL = re.compile(r"available for your environment:\n((?:    [A-Za-z0-9_.-]+\n)+)")


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False)


def dependencies() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def build_wheel(name: str, wheels: Path) -> None:
    made = pip("wheel", "--quiet", "--no-deps", "--no-binary=:all:", "--wheel-dir", str(wheels), name)
    if made.returncode:
        raise SystemExit(f"cannot build a wheel of {name}:\n{made.stderr}")
    wheel = max(wheels.glob(f"{name.replace('-', '_')}-*.whl"), key=lambda p: p.stat().st_mtime, default=None)
    if wheel is None:
        wheel = max(wheels.glob("*.whl"), key=lambda p: p.stat().st_mtime)
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    keep = ("Name:", "Version:", "Requires-Python:", "Classifier: Programming Language :: Python ::")
    lines = [line for line in meta.splitlines() if line.startswith(keep)]
    if not any(line.startswith("Requires-Python:") for line in lines):
        lines.append("(no Requires-Python: it refuses no version)")
    print(f"  sdist only, built here: {wheel.name}\n    " + "\n    ".join(lines))


def resolve(version: str, deps: Path, wheels: Path, work: Path) -> tuple[bool, str, list[str]]:
    """(resolved, pip's errors, the distributions) for ``version``; sdist-only ones are built first."""
    for _ in range(10):
        report = work / f"report-{version}.json"
        proc = pip(
            "install", "--dry-run", "--ignore-installed", "--python-version", version,
            "--only-binary=:all:", "--find-links", str(wheels), "--target", str(work / f"t{version}"),
            "--report", str(report), "-r", str(deps),
        )  # fmt: skip
        if proc.returncode == 0:
            names = [i["metadata"]["name"] for i in json.loads(report.read_text())["install"]]
            return True, "", names
        out = proc.stdout + proc.stderr
        missing = NO_WHEEL.search(out)
        named = missing.group(1).split() if missing else NO_MATCH.findall(out)
        built = {p.name.split("-")[0].lower() for p in wheels.glob("*.whl")}
        todo = [n for n in named if n.lower().replace("-", "_") not in built]
        if not todo:
            return False, "\n".join(line for line in out.splitlines() if WHY.match(line)), []
        for name in todo:
            build_wheel(name, wheels)
    return False, "too many sdist-only dependencies", []


def removed_imports(names: set[str]) -> list[str]:
    found = [
        f"ours: {path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0).strip()}"
        for folder in ("sipelangi_net", "tests", "bench", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for m in REMOVED.finditer(text)
        if path != Path(__file__).resolve()
    ]
    site = Path(sysconfig.get_paths()["purelib"])
    for dist in sorted(site.glob("*.dist-info")):
        name = dist.name.split("-")[0].lower().replace("_", "-")
        if name not in names or not (dist / "RECORD").exists():
            continue
        for row in (dist / "RECORD").read_text().splitlines():
            rel = row.split(",")[0]
            if not rel.endswith(".py") or rel.startswith(".."):
                continue
            text = (site / rel).read_text(encoding="utf-8", errors="replace")
            found += [
                f"{name}: {rel}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0).strip()}"
                for m in REMOVED.finditer(text)
            ]
    return found


def main(versions: list[str]) -> int:
    failed = []
    names: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheels = work / "wheels"
        wheels.mkdir()
        deps = work / "deps.txt"
        deps.write_text("\n".join(dependencies()) + "\n")
        for version in versions:
            ok, why, got = resolve(version, deps, wheels, work)
            if ok:
                names |= {n.lower().replace("_", "-") for n in got}
                print(f"python {version}: OK, {len(got)} distributions resolve")
            else:
                failed.append(version)
                print(f"python {version}: FAILS\n    " + why.replace("\n", "\n    "))
    print("imports of modules removed in 3.12/3.13 (ours, and the resolved dependencies installed here):")
    for line in removed_imports(names) or ["none"]:
        print(f"  {line}")
    if failed:
        print(f"does not resolve: {' '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(VERSIONS)))
