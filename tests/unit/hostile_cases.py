"""The cases of the hostile-input suite (tests/unit/test_hostile.py): data only.

A case names an entry point (a CLI command line or an HTTP request), the state of the
ticket it acts on, and what must come of it:

- ``refuse``: the input is refused (CLI exit code not 0, HTTP 4xx) and the store is unchanged;
- ``store``: the input is odd but valid and is stored (``shows``: text ``ticket show`` must print
  literally, not as markup);
- ``any``: either, the outcome is debatable; the generic checks still hold.

Placeholders: ``{tid}`` the case's ticket, ``{file}`` the case's file, ``{db}`` the CLI store,
``{url}`` the server, ``{out}`` a private folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ticket_data import raw_request

Expect = Literal["refuse", "store", "any"]
State = Literal["forwarded", "approved", "analysed", "prepared", "scheduled", "deployed", "tested"]

INJECT = "lo\nip route 0.0.0.0/0 203.0.113.66\nexit\ninterface eth1"
INJECTED_NEXTHOP = "203.0.113.66"

# Text that must never be stored (issue 13, items 2 and 7): control and format characters.
BAD_TEXT: dict[str, str] = {
    "lf": "Dinas\nKesehatan",
    "cr": "Dinas\rKesehatan",
    "crlf": "Dinas\r\nKesehatan",
    "trailing-lf": "Dinas Kesehatan\n",
    "nul": "Dinas\x00Kesehatan",
    "esc": "Dinas \x1b[31mKesehatan\x1b[0m",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\Dinas\x1b]8;;\x1b\\",
    "bel": "Dinas\x07Kesehatan",
    "del": "Dinas\x7fKesehatan",
    "nel": "Dinas\x85Kesehatan",
    "lsep": "Dinas\u2028Kesehatan",
    "rlo": "Dinas \u202eKesehatan",
    "zwsp": "Dinas\u200bKesehatan",
    "bom": "\ufeffDinas Kesehatan",
    "route": INJECT,
}
# Odd but valid text: stored, and shown as text, never as Rich markup or emoji codes.
MARKUP: dict[str, str] = {
    "close-tag": "Dinas [/] X",
    "link": "Dinas [link=https://evil.example/]klik[/link]",
    "bold": "Dinas [bold red]Kesehatan[/bold red]",
    "emoji": "Dinas :warning: Kesehatan",  # debatable: Rich emoji codes (rich.markup.escape keeps them)
}
# Shorter set for the flag and API matrices.
BAD_SHORT = ("lf", "cr", "esc", "rlo", "nel", "route")


@dataclass(frozen=True)
class CliCase:
    id: str
    args: tuple[str, ...]
    item: str
    expect: Expect = "refuse"
    state: State | None = None
    file: bytes | None = None  # written to {file}
    suffix: str = ".json"
    env: Mapping[str, str] = field(default_factory=dict)
    mentions: tuple[str, ...] = ()  # the error line names one of these (case-insensitive)
    shows: tuple[str, ...] = ()  # a stored case: `ticket show` prints these literally
    sandbox: bool = False  # run as a subprocess under a memory and time cap


@dataclass(frozen=True)
class ApiCase:
    id: str
    method: str
    path: str
    item: str
    expect: Expect = "refuse"
    state: State | None = None
    body: Any = None  # sent as JSON (None: no body)
    raw_body: bytes | None = None  # sent as is, with Content-Type: application/json
    auth: str | None = "valid"  # the Authorization header: "valid", None (absent) or a literal value
    statuses: tuple[int, ...] = ()  # when set, the answer must be one of these
    raw: bytes | None = None  # a whole raw HTTP request ({token}, {host} filled in)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=True).encode()


def _set(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    node = data
    *parents, last = dotted.split(".")
    for p in parents:
        node = node[p]
    node[last] = value
    return data


def request_with(dotted: str, value: Any) -> dict[str, Any]:
    return _set(raw_request(), dotted, value)


def _without(dotted: str) -> dict[str, Any]:
    data = raw_request()
    node = data
    *parents, last = dotted.split(".")
    for p in parents:
        node = node[p]
    del node[last]
    return data


def nested(depth: int, leaf: Any = "x") -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = [value]
    return value


# --- ticket new --file -----------------------------------------------------------------------
TEXT_FIELDS = {"opd": "opd", "pic.name": "pic.name", "letter.number": "letter.number", "notes": "notes"}
SHOWN_FIELDS = ("opd", "pic.name", "letter.number")  # what `ticket show` prints of the request

NEW_FILE = ("ticket", "new", "--file", "{file}", "--db", "{db}")


def _new_file_text() -> Iterator[CliCase]:
    for name in TEXT_FIELDS:
        for kind, text in BAD_TEXT.items():
            yield CliCase(
                f"new-file-{name}-{kind}",
                NEW_FILE,
                "7" if kind != "route" else "2,7",
                file=_json(request_with(name, text)),
                mentions=(name,),
            )
        for kind, text in MARKUP.items():
            shows = (text,) if name in SHOWN_FIELDS else ()
            yield CliCase(
                f"new-file-{name}-markup-{kind}",
                NEW_FILE,
                "7",
                expect="any" if kind == "emoji" else "store",
                file=_json(request_with(name, text)),
                shows=shows,
            )


BILLION_LAUGHS = b"""\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _yaml_request(extra: str = "", **replace: str) -> bytes:
    lines = {
        "opd": "Dinas Kesehatan",
        "site": "dinkes",
        "pic": '{name: Budi Santoso, phone: "+62 812 7100 1234", email: budi@dinkes.pangkalpinangkota.go.id}',
        "users": "40",
        "applications": "[simpeg, eoffice]",
        "letter": '{number: "005/123/DINKES/2026", date: 2026-11-20}',
    }
    lines.update(replace)
    return ("".join(f"{k}: {v}\n" for k, v in lines.items()) + extra).encode()


def _new_file_values() -> Iterator[CliCase]:
    wrong: dict[str, tuple[str, Any, str]] = {
        # id: (field, value, item)
        "site-mars": ("site", "mars", "6"),
        "site-upper": ("site", "DINKES", "6"),
        "site-traversal": ("site", "../dinkes", "6"),
        "site-number": ("site", 7, "6"),
        "app-tiktok": ("applications", ["simpeg", "tiktok"], "6"),
        "app-twice": ("applications", ["simpeg", "simpeg"], "6"),
        "app-string": ("applications", "simpeg", "6"),
        "app-empty": ("applications", [], "6"),
        "app-nested": ("applications", [["simpeg"]], "6"),
        "app-many": ("applications", [f"app{i}" for i in range(500)], "6"),
        "users-string": ("users", "40", "6"),
        "users-float": ("users", 40.5, "6"),
        "users-zero": ("users", 0, "6"),
        "users-negative": ("users", -1, "6"),
        "users-huge": ("users", 10**30, "6"),
        "users-bool": ("users", True, "6"),
        "opd-number": ("opd", 123, "6"),
        "opd-list": ("opd", ["Dinas"], "6"),
        "opd-map": ("opd", {"name": "Dinas"}, "6"),
        "opd-null": ("opd", None, "6"),
        "opd-huge": ("opd", "D" * 100_000, "6"),
        "notes-huge": ("notes", "n" * 200_000, "6"),
        "notes-deep": ("notes", nested(900), "2,6"),
        "pic-email-bad": ("pic.email", "budi@@dinkes", "6"),
        "pic-email-lf": ("pic.email", "budi@dinkes.go.id\nBcc: all@x.go.id", "7"),
        "pic-phone-lf": ("pic.phone", "0812\n3456789", "7"),
        "letter-date-bad": ("letter.date", "2026-02-30", "6"),
        "letter-date-word": ("letter.date", "besok", "6"),
        "submitted-naive": ("submitted_at", "2026-11-20T09:00:00", "6"),
        "submitted-future": ("submitted_at", "2999-01-01T00:00:00+07:00", "6"),
        "submitted-garbage": ("submitted_at", "kemarin", "6"),
        "extra-field": ("admin", True, "6"),
    }
    for name, (dotted, value, item) in wrong.items():
        yield CliCase(
            f"new-file-{name}", NEW_FILE, item, file=_json(request_with(dotted, value)), mentions=(dotted,)
        )
    yield CliCase("new-file-missing-site", NEW_FILE, "6", file=_json(_without("site")), mentions=("site",))
    for name, text in {
        "users-nan": '{"users": NaN}',
        "users-infinity": '{"users": Infinity}',
        "users-1e999": '{"users": 1e999}',
    }.items():
        body = json.dumps(raw_request())[:-1] + ", " + text[1:]
        yield CliCase(f"new-file-{name}", NEW_FILE, "2,6", file=body.encode(), mentions=("users",))
    structural: dict[str, tuple[bytes, str]] = {
        "top-list": (b"[1, 2, 3]", ".json"),
        "top-string": (b'"Dinas"', ".json"),
        "empty": (b"", ".yaml"),
        "null": (b"~\n", ".yaml"),
        "json-deep": (b"[" * 100_000 + b"]" * 100_000, ".json"),
        "yaml-deep": (b"[" * 5_000 + b"]" * 5_000, ".yaml"),
        "yaml-tag-python": (_yaml_request('x: !!python/object/apply:os.system ["true"]\n'), ".yaml"),
        "yaml-tag-python-name": (_yaml_request("opd: !!python/name:os.system\n"), ".yaml"),
        "yaml-tag-custom": (_yaml_request(opd="!evil Dinas"), ".yaml"),
        "yaml-raw-cr": (_yaml_request(opd='"Dinas\\r\\nip route 0.0.0.0/0 203.0.113.66"'), ".yaml"),
        "yaml-raw-nul": (_yaml_request(opd="Dinas\x00Kesehatan"), ".yaml"),
        "yaml-merge-extra": (_yaml_request("base: &b {admin: true}\n<<: *b\n"), ".yaml"),
        "yaml-duplicate-site": (_yaml_request("site: mars\n"), ".yaml"),
        "latin1": ("opd: Dinas Kesehatan \xe9\n".encode("latin-1"), ".yaml"),
        "utf16": ("opd: Dinas\n".encode("utf-16"), ".yaml"),
        "binary-png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, ".yaml"),
        "json-lone-surrogate": (json.dumps(request_with("opd", "Dinas \udc80")).encode(), ".json"),
        "json-bad": (b'{"opd": "Dinas", ', ".json"),
        "oversize": (b"# " + b"x" * (300 * 1024) + b"\n" + _yaml_request(), ".yaml"),
    }
    for name, (content, suffix) in structural.items():
        yield CliCase(f"new-file-{name}", NEW_FILE, "6", file=content, suffix=suffix, mentions=("{file}",))
    for name, content in {  # debatable: standard YAML tags that turn into valid values
        "yaml-tag-binary": _yaml_request(opd="!!binary RGluYXMgS2VzZWhhdGFu"),
        "yaml-tag-set": _yaml_request(applications="!!set {simpeg, eoffice}"),
    }.items():
        yield CliCase(f"new-file-{name}", NEW_FILE, "6", expect="any", file=content, suffix=".yaml")
    yield CliCase(
        "new-file-billion-laughs",
        NEW_FILE,
        "6",
        file=BILLION_LAUGHS + _yaml_request(),
        suffix=".yaml",
        sandbox=True,
    )
    yield CliCase(
        "new-file-billion-laughs-in-notes",
        NEW_FILE,
        "6",
        file=BILLION_LAUGHS.replace(b"i: &i", b"notes: &i") + _yaml_request(),
        suffix=".yaml",
        sandbox=True,
    )
    for name, path in {
        "dev-zero": "/dev/zero",
        "dev-null": "/dev/null",
        "directory": "/",
        "missing": "/nonexistent/permohonan.yaml",
    }.items():
        yield CliCase(
            f"new-file-{name}",
            ("ticket", "new", "--file", path, "--db", "{db}"),
            "6",
            mentions=(path,),
            sandbox=name.startswith("dev-"),
        )
    yield CliCase(
        "new-file-and-flags",
        ("ticket", "new", "--file", "{file}", "--opd", "X", "--db", "{db}"),
        "6",
        file=_json(raw_request()),
    )


# --- ticket new with flags, the actor's environment ------------------------------------------------
NEW_FLAGS = (
    "ticket",
    "new",
    "--site",
    "dinkes",
    "--pic-phone",
    "0717 421234",
    "--pic-email",
    "sari@bappeda.pangkalpinangkota.go.id",
    "--users",
    "25",
    "--app",
    "simpeg",
    "--letter-date",
    "2026-11-21",
    "--db",
    "{db}",
)
FLAG_DEFAULTS = {"--opd": "Bappeda", "--pic-name": "Sari", "--letter-number": "050/7/BAPPEDA/2026"}


def _flags(**changes: str) -> tuple[str, ...]:
    values = {**FLAG_DEFAULTS, **{k.replace("_", "-"): v for k, v in changes.items()}}
    out: list[str] = list(NEW_FLAGS)
    for flag, value in values.items():
        out += [flag, value]
    return tuple(out)


def _new_flags() -> Iterator[CliCase]:
    for flag in ("--opd", "--pic-name", "--letter-number", "--notes", "--helpdesk"):
        for kind in BAD_SHORT:
            yield CliCase(
                f"new-flag{flag}-{kind}",
                _flags(**{flag: BAD_TEXT[kind]}),
                "7",
                mentions=(
                    flag.lstrip("-").replace("-", "_"),
                    flag.lstrip("-"),
                    flag.lstrip("-").replace("-", "."),
                ),
            )
    for flag in ("--opd", "--helpdesk"):
        for kind in ("close-tag", "link"):
            yield CliCase(
                f"new-flag{flag}-markup-{kind}",
                _flags(**{flag: MARKUP[kind]}),
                "7",
                expect="store",
                shows=(MARKUP[kind],),
            )
    for name, args in {
        "site-mars": ("--site", "mars"),
        "app-tiktok": ("--app", "tiktok"),
        "users-huge": ("--users", str(10**30)),
        "users-word": ("--users", "banyak"),
        "letter-date-word": ("--letter-date", "besok"),
    }.items():
        yield CliCase(f"new-flag-{name}", (*_flags(), *args), "6")
    for kind in ("esc", "lf", "rlo"):
        yield CliCase(
            f"new-env-actor-{kind}",
            _flags(),
            "7",
            env={"SIPELANGI_ACTOR": BAD_TEXT[kind]},
            mentions=("actor", "helpdesk", "SIPELANGI_ACTOR"),
        )


# --- approve, defer, record ---------------------------------------------------------------------
def _approve_defer() -> Iterator[CliCase]:
    for kind in (*BAD_SHORT, "isolate", "empty", "blank"):
        special = {"isolate": "Kadis\u2066x\u2069", "empty": "", "blank": "   "}
        text = special[kind] if kind in special else BAD_TEXT[kind]
        yield CliCase(
            f"approve-actor-{kind}",
            ("ticket", "approve", "{tid}", "--actor", text, "--db", "{db}"),
            "7",
            expect="any" if kind == "empty" else "refuse",  # debatable: --actor "" falls back to the login
            state="forwarded",
            mentions=("actor",),
        )
    for kind in ("lf", "crlf", "esc", "route", "rlo"):
        yield CliCase(
            f"approve-note-{kind}",
            ("ticket", "approve", "{tid}", "--actor", "Kadis", "--note", BAD_TEXT[kind], "--db", "{db}"),
            "7",
            state="forwarded",
            mentions=("note",),
        )
    yield CliCase(
        "approve-note-too-long",
        ("ticket", "approve", "{tid}", "--actor", "Kadis", "--note", "n" * 5000, "--db", "{db}"),
        "6",
        state="forwarded",
        mentions=("note",),
    )
    for kind in ("close-tag", "link"):
        yield CliCase(
            f"approve-actor-markup-{kind}",
            ("ticket", "approve", "{tid}", "--actor", MARKUP[kind], "--db", "{db}"),
            "7",
            expect="store",
            state="forwarded",
            shows=(MARKUP[kind],),
        )
    for kind in ("esc", "lf", "route"):
        yield CliCase(
            f"approve-env-actor-{kind}",
            ("ticket", "approve", "{tid}", "--db", "{db}"),
            "7",
            state="forwarded",
            env={"SIPELANGI_ACTOR": BAD_TEXT[kind]},
            mentions=("actor", "SIPELANGI_ACTOR"),
        )
    for kind in ("route", "cr", "esc"):
        yield CliCase(
            f"defer-note-{kind}",
            ("ticket", "defer", "{tid}", "--actor", "Kadis", "--note", BAD_TEXT[kind], "--db", "{db}"),
            "7",
            state="forwarded",
            mentions=("note",),
        )
    yield CliCase(
        "defer-note-empty",
        ("ticket", "defer", "{tid}", "--actor", "Kadis", "--note", "", "--db", "{db}"),
        "3",
        state="forwarded",
    )
    yield CliCase(
        "approve-twice",
        ("ticket", "approve", "{tid}", "--actor", "Kadis", "--db", "{db}"),
        "3",
        state="approved",
        mentions=("{tid}",),
    )


def _record(
    tid_state: State,
    name: str,
    *extra: str,
    item: str,
    expect: Expect = "refuse",
    mentions: tuple[str, ...] = (),
) -> CliCase:
    return CliCase(
        f"record-{name}",
        ("ticket", "record", "{tid}", "--actor", "Tim Kerja", *extra, "--db", "{db}"),
        item,
        expect=expect,
        state=tid_state,
        mentions=mentions,
    )


def _record_cases() -> Iterator[CliCase]:
    for n in ("0", "13", "-1", str(10**30), "1", "2", "5"):
        yield _record("approved", f"step-{n}", "--step", n, item="3", mentions=("step",))
    yield _record("approved", "step-word", "--step", "empat", item="3")
    yield _record("approved", "step4-no-plan", "--step", "4", item="3", mentions=("plan", "step 4"))
    yield _record(
        "approved", "step4-plan-text", "--step", "4", "--output", "plan=x", item="3", mentions=("analyze",)
    )
    yield _record("approved", "step4-port-inject", "--step", "4", "--output", f"port={INJECT}", item="2,3")
    yield _record("approved", "step4-outcome-approve", "--step", "4", "--outcome", "approve", item="3")
    yield _record("approved", "step4-outcome-bogus", "--step", "4", "--outcome", "bogus", item="3")
    yield _record("approved", "step4-failed-no-note", "--step", "4", "--outcome", "failed", item="3")
    yield _record(
        "approved",
        "step4-failed-with-note",
        "--step",
        "4",
        "--outcome",
        "failed",
        "--note",
        "kapasitas uplink penuh",
        item="3",
        expect="any",
    )  # debatable: a hand-recorded failed analysis without a plan
    yield _record(
        "approved",
        "step4-note-inject",
        "--step",
        "4",
        "--outcome",
        "failed",
        "--note",
        INJECT,
        item="2,7",
        mentions=("note",),
    )
    yield _record(
        "approved", "output-no-equals", "--step", "4", "--output", "novalue", item="3", mentions=("--output",)
    )
    yield _record(
        "approved", "output-empty-key", "--step", "4", "--output", "=x", item="3", mentions=("--output",)
    )
    yield _record("approved", "output-key-lf", "--step", "4", "--output", "a\nb=c", item="2,7")
    yield _record("analysed", "step5-no-outputs", "--step", "5", item="3")  # prepare's schema
    yield _record(
        "analysed",
        "step5-start-besok",
        "--step",
        "5",
        "--output",
        "start=besok",
        item="3",
        mentions=("prepare",),
    )
    yield _record(
        "analysed", "step5-schedule-inject", "--step", "5", "--output", f"schedule={INJECT}", item="2,3"
    )
    yield _record(
        "prepared",
        "step6-start-besok",
        "--step",
        "6",
        "--output",
        "start=besok",
        item="3",
        mentions=("start",),
    )
    yield _record(
        "prepared",
        "step6-start-bad-date",
        "--step",
        "6",
        "--output",
        "start=2026-13-45T09:00+07:00",
        item="3",
        mentions=("start",),
    )
    yield _record(
        "prepared",
        "step6-start-naive",
        "--step",
        "6",
        "--output",
        "start=2026-12-08T09:00",
        "--output",
        "end=2026-12-08T11:00",
        item="3",
        mentions=("start",),
    )
    yield _record(
        "prepared", "step6-start-no-end", "--step", "6", "--output", "start=2026-12-08T09:00+07:00", item="3"
    )
    yield _record(
        "prepared",
        "step6-end-before-start",
        "--step",
        "6",
        "--output",
        "start=2026-12-08T11:00+07:00",
        "--output",
        "end=2026-12-08T09:00+07:00",
        item="3",
    )
    yield _record(
        "prepared",
        "step6-schedule-inject",
        "--step",
        "6",
        "--output",
        "start=2026-12-08T09:00+07:00",
        "--output",
        "end=2026-12-08T11:00+07:00",
        "--output",
        f"schedule={INJECT}",
        item="2,3,7",
    )
    yield _record(
        "prepared",
        "started-at-word",
        "--step",
        "6",
        "--started-at",
        "besok",
        item="3",
        mentions=("--started-at",),
    )
    yield _record(
        "prepared",
        "started-at-naive",
        "--step",
        "6",
        "--started-at",
        "2026-11-30T09:00",
        item="3",
        mentions=("--started-at",),
    )
    yield _record(
        "prepared", "started-at-epoch", "--step", "6", "--started-at", "1970-01-01T00:00+00:00", item="6"
    )
    yield _record(
        "prepared", "ended-at-future", "--step", "6", "--ended-at", "2999-01-01T00:00+07:00", item="6"
    )
    yield _record(
        "prepared", "ended-at-year-zero", "--step", "6", "--ended-at", "0001-01-01T00:00+14:00", item="6"
    )
    yield _record("scheduled", "step7-no-report", "--step", "7", item="3", expect="any")  # debatable
    yield _record(
        "deployed", "step8-no-result", "--step", "8", item="3", mentions=("bwtest", "result", "test")
    )
    yield _record("deployed", "step8-result-text", "--step", "8", "--output", "bwtest=pass", item="3")
    yield _record(
        "deployed",
        "step8-failed-with-note",
        "--step",
        "8",
        "--outcome",
        "failed",
        "--note",
        "23 Mbit/s",
        item="3",
        expect="any",
    )  # debatable
    yield _record("tested", "step9-no-scan", "--step", "9", item="3", mentions=("scan", "handover", "sign"))
    yield _record("tested", "step9-handover-text", "--step", "9", "--output", "handover=signed", item="3")
    yield _record("tested", "step9-sha-only", "--step", "9", "--output", "scan_sha256=" + "a" * 64, item="3")
    yield _record(
        "tested",
        "step9-failed",
        "--step",
        "9",
        "--outcome",
        "failed",
        "--note",
        "ditolak",
        item="3",
        expect="any",
    )  # a refused handover: the rollback playbook records it so


# --- ticket ids, queries, stores ------------------------------------------------------------------
BAD_IDS = {
    "unknown": "SPL-2026-99999",
    "traversal": "../../etc/passwd",
    "unicode-digit": "SPL-2026-0000\u0661",
    "lowercase": "spl-2026-00001",
    "long": "SPL-" + "9" * 5000,
    "lf": "SPL-2026-00001\nip route 0.0.0.0/0 203.0.113.66",
    "sql": "SPL-2026-00001' OR '1'='1",
    "markup": "[/]",
    "empty": "",
}


def _ids_and_queries() -> Iterator[CliCase]:
    for name, tid in BAD_IDS.items():
        for command in ("show", "verify"):
            yield CliCase(f"{command}-id-{name}", ("ticket", command, tid, "--db", "{db}"), "2,7")
        yield CliCase(
            f"approve-id-{name}", ("ticket", "approve", tid, "--actor", "Kadis", "--db", "{db}"), "2,7"
        )
    for opt, value in {
        "since-garbage": ("--since", "kemarin"),
        "until-number": ("--until", "0.5"),
        "since-naive": ("--since", "2026-11-01T00:00"),
        "until-huge-year": ("--until", "99999-01-01T00:00+07:00"),
    }.items():
        yield CliCase(f"list-{opt}", ("ticket", "list", *value, "--db", "{db}"), "6", mentions=(value[0],))
        yield CliCase(f"sla-{opt}", ("ticket", "sla", *value, "--db", "{db}"), "6", mentions=(value[0],))
    yield CliCase(
        "list-status-esc", ("ticket", "list", "--status", "\x1b[2J", "--db", "{db}"), "7", expect="any"
    )
    for name, url in {
        "refused-port": "http://127.0.0.1:9",
        "bad-url": "http://[::1",
        "no-token": "{url}",
    }.items():
        yield CliCase(
            f"store-{name}",
            ("ticket", "list", "--store", url),
            "6",
            env={"SIPELANGI_TOKEN": ""} if name == "no-token" else {},
        )
    yield CliCase(
        "store-wrong-token",
        ("ticket", "list", "--store", "{url}"),
        "6",
        env={"SIPELANGI_TOKEN": "wrong-token-0123456789"},
    )
    yield CliCase(
        "store-token-lf",
        ("ticket", "list", "--store", "{url}"),
        "6",
        env={"SIPELANGI_TOKEN": "abc\r\nX-Evil: 1"},
    )
    yield CliCase("db-is-directory", ("ticket", "list", "--db", "/"), "6")
    yield CliCase("db-not-sqlite", ("ticket", "list", "--db", "{file}"), "6", file=b"not a database\n" * 100)
    yield CliCase(
        "render-id-traversal", ("render", "../../etc/passwd", "--db", "{db}", "--out", "{out}"), "2"
    )
    yield CliCase(
        "render-not-analysed", ("render", "{tid}", "--db", "{db}", "--out", "{out}"), "3", state="approved"
    )


# --- fault tickets: sipelangi-net fault report / step / show (issue 19) --------------------------------
FAULT_REPORT = ("fault", "report", "--opd", "dinkes", "--db", "{db}")
BAD_FAULT_IDS = {
    **{k: v.replace("SPL-2026-", "GGN-") for k, v in BAD_IDS.items() if k != "unknown"},
    "unknown": "GGN-99999",
    "ticket-id": "SPL-2026-00001",
    "zero": "GGN-00000",
    "negative": "-1",
    "huge": "GGN-" + "9" * 40,
}


def _fault_cases() -> Iterator[CliCase]:
    for kind in BAD_SHORT:
        for flag in ("--summary", "--note"):
            args = (*FAULT_REPORT, "--summary", "jaringan lambat", flag, BAD_TEXT[kind])
            yield CliCase(f"fault-report{flag}-{kind}", args, "fault", mentions=(flag,))
        yield CliCase(
            f"fault-report-opd-{kind}",
            ("fault", "report", "--opd", BAD_TEXT[kind], "--summary", "x", "--db", "{db}"),
            "fault",
            mentions=("--opd",),
        )
        yield CliCase(
            f"fault-step-note-{kind}",
            ("fault", "step", "GGN-00001", "triaged", "--note", BAD_TEXT[kind], "--db", "{db}"),
            "fault",
            mentions=("--note",),
        )
    for name, value in {
        "traversal": "../../etc/passwd",
        "markup": "[/]",
        "upper": "DINKES",
        "empty": "",
    }.items():
        yield CliCase(
            f"fault-report-opd-{name}",
            ("fault", "report", "--opd", value, "--summary", "x", "--db", "{db}"),
            "fault",
            mentions=("sites.yaml",),
        )
    yield CliCase(
        "fault-report-summary-long", (*FAULT_REPORT, "--summary", "x" * 201), "fault", mentions=("summary",)
    )
    yield CliCase(
        "fault-report-summary-blank", (*FAULT_REPORT, "--summary", "   "), "fault", mentions=("summary",)
    )
    yield CliCase(
        "fault-report-severity",
        (*FAULT_REPORT, "--summary", "x", "--severity", "[bold]"),
        "fault",
        mentions=("--severity",),
    )
    for kind in ("close-tag", "link"):
        yield CliCase(
            f"fault-report-markup-{kind}", (*FAULT_REPORT, "--summary", MARKUP[kind]), "fault", expect="store"
        )
    for name, label in BAD_FAULT_IDS.items():
        yield CliCase(f"fault-show-id-{name}", ("fault", "show", label, "--db", "{db}"), "fault")
        yield CliCase(f"fault-step-id-{name}", ("fault", "step", label, "triaged", "--db", "{db}"), "fault")
    for name, step in {
        "unknown": "repaired",
        "markup": "[/]",
        "upper": "TRIAGED",
        "sql": "closed' --",
    }.items():
        yield CliCase(f"fault-step-{name}", ("fault", "step", "GGN-00001", step, "--db", "{db}"), "fault")
    yield CliCase(
        "fault-list-opd-markup", ("fault", "list", "--opd", "[/]", "--db", "{db}"), "fault", expect="any"
    )
    yield CliCase("fault-list-store", ("fault", "list", "--store", "{url}"), "fault", mentions=("--db",))


def _monitor_cases() -> Iterator[CliCase]:
    for flag in ("--exe", "--workdir"):
        for name, value in {"semicolon": "/usr/bin/x; rm -rf /", "lf": "/usr/bin/x\nExecStartPre=/bin/sh",
                            "space": "/opt/my dir/x", "dollar": "/opt/$HOME/x"}.items():  # fmt: skip
            yield CliCase(
                f"monitor-schedule{flag}-{name}",
                ("monitor", "schedule", "--out", "{out}", flag, value),
                "monitor",
                mentions=(flag,),
            )


def cli_cases() -> list[CliCase]:
    return [
        *_monitor_cases(),
        *_fault_cases(),
        *_new_file_text(),
        *_new_file_values(),
        *_new_flags(),
        *_approve_defer(),
        *_record_cases(),
        *_ids_and_queries(),
    ]


# --- the API ---------------------------------------------------------------------------------
def new_ticket_body(request: dict[str, Any] | None = None, helpdesk: Any = "Helpdesk Diskominfo") -> Any:
    return {"request": request if request is not None else raw_request(), "helpdesk": helpdesk}


TICKETS = "/api/v1/tickets"
EVENTS = "/api/v1/tickets/{tid}/events"


def _api_new_ticket() -> Iterator[ApiCase]:
    for name in TEXT_FIELDS:
        for kind in (*BAD_SHORT, "nul", "bom", "lsep", "trailing-lf"):
            yield ApiCase(
                f"api-new-{name}-{kind}",
                "POST",
                TICKETS,
                "2,6,7",
                body=new_ticket_body(request_with(name, BAD_TEXT[kind])),
            )
    for kind in ("close-tag", "link"):
        yield ApiCase(
            f"api-new-opd-markup-{kind}",
            "POST",
            TICKETS,
            "7",
            expect="store",
            body=new_ticket_body(request_with("opd", MARKUP[kind])),
        )
    for kind in ("lf", "esc", "rlo", "route"):
        yield ApiCase(
            f"api-new-helpdesk-{kind}", "POST", TICKETS, "7", body=new_ticket_body(helpdesk=BAD_TEXT[kind])
        )
    for name, (dotted, value) in {
        "site-mars": ("site", "mars"),
        "app-tiktok": ("applications", ["simpeg", "tiktok"]),
        "app-twice": ("applications", ["simpeg", "simpeg"]),
        "users-string": ("users", "40"),
        "users-huge": ("users", 10**30),
        "notes-deep": ("notes", nested(900)),
        "submitted-future": ("submitted_at", "2999-01-01T00:00:00+07:00"),
        "submitted-naive": ("submitted_at", "2026-11-20T09:00:00"),
        "extra-field": ("admin", True),
        "pic-email-lf": ("pic.email", "budi@dinkes.go.id\nBcc: all@x.go.id"),
    }.items():
        yield ApiCase(
            f"api-new-{name}", "POST", TICKETS, "6", body=new_ticket_body(request_with(dotted, value))
        )
    for name, literal in {"nan": "NaN", "infinity": "Infinity", "1e999": "1e999"}.items():
        text = json.dumps(new_ticket_body())
        yield ApiCase(
            f"api-new-users-{name}",
            "POST",
            TICKETS,
            "2,6",
            raw_body=text.replace('"users": 40', f'"users": {literal}').encode(),
        )
    for name, body in {
        "not-json": b"opd=Dinas",
        "empty": b"",
        "array": b"[]",
        "null": b"null",
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "truncated": b'{"request": {"opd": "Dinas"',
        "latin1": '{"helpdesk": "\xe9"}'.encode("latin-1"),
    }.items():
        yield ApiCase(f"api-new-body-{name}", "POST", TICKETS, "6", raw_body=body)
    yield ApiCase("api-new-helpdesk-number", "POST", TICKETS, "6", body=new_ticket_body(helpdesk=42))
    yield ApiCase("api-new-no-helpdesk", "POST", TICKETS, "6", body={"request": raw_request()})


def _move(step: Any, **fields: Any) -> dict[str, Any]:
    return {"step": step, "actor": "Tim Kerja", **fields}


def _api_events() -> Iterator[ApiCase]:
    for n in (0, 13, -1, 10**30, 4.5, None):
        yield ApiCase(f"api-event-step-{n!s:.12}", "POST", EVENTS, "3", state="approved", body=_move(n))
    for n in ("3", True):  # the spec says integer: no text or boolean for a number
        yield ApiCase(
            f"api-event-step-{n!s}-approve",
            "POST",
            EVENTS,
            "6",
            state="forwarded",
            body={"step": n, "actor": "Kadis", "outcome": "approve"},
        )
    # JSON Schema counts 3.0 as an integer, so the contract (and the server) accept it as step 3
    yield ApiCase(
        "api-event-step-3.0-approve",
        "POST",
        EVENTS,
        "6",
        expect="store",
        state="forwarded",
        body={"step": 3.0, "actor": "Kadis", "outcome": "approve"},
    )
    yield ApiCase("api-event-step4-no-plan", "POST", EVENTS, "3", state="approved", body=_move(4))
    yield ApiCase(
        "api-event-step4-plan-text",
        "POST",
        EVENTS,
        "3",
        state="approved",
        body=_move(4, outputs={"plan": "x"}),
    )
    yield ApiCase(
        "api-event-step4-plan-null",
        "POST",
        EVENTS,
        "3",
        state="approved",
        body=_move(4, outputs={"plan": None}),
    )
    for kind in ("lf", "esc", "rlo", "route"):
        yield ApiCase(
            f"api-event-actor-{kind}",
            "POST",
            EVENTS,
            "7",
            state="forwarded",
            body={"step": 3, "actor": BAD_TEXT[kind], "outcome": "approve"},
        )
        yield ApiCase(
            f"api-event-note-{kind}",
            "POST",
            EVENTS,
            "7",
            state="forwarded",
            body={"step": 3, "actor": "Kadis", "outcome": "approve", "note": BAD_TEXT[kind]},
        )
    yield ApiCase(
        "api-event-outcome-bogus",
        "POST",
        EVENTS,
        "3",
        state="forwarded",
        body={"step": 3, "actor": "Kadis", "outcome": "bogus"},
    )
    yield ApiCase(
        "api-event-extra-hash",
        "POST",
        EVENTS,
        "4",
        state="forwarded",
        body={"step": 3, "actor": "Kadis", "outcome": "approve", "hash": "0" * 64},
    )
    for name, outputs in {
        "deep-900": {"x": nested(900)},
        "deep-200": {"x": nested(200)},
        "outputs-list": [1, 2],
        "schedule-inject": {
            "start": "2026-12-08T09:00:00+07:00",
            "end": "2026-12-08T11:00:00+07:00",
            "schedule": INJECT,
        },
        "start-besok": {"start": "besok", "end": "lusa"},
    }.items():
        yield ApiCase(
            f"api-event-step6-{name}", "POST", EVENTS, "2,3", state="prepared", body=_move(6, outputs=outputs)
        )
    for name, literal in {
        "nan": "NaN",
        "infinity": "Infinity",
        "neg-infinity": "-Infinity",
        "1e999": "1e999",
    }.items():
        text = json.dumps(_move(5, outputs={"equipment": [], "x": 1}))
        yield ApiCase(
            f"api-event-outputs-{name}",
            "POST",
            EVENTS,
            "2",
            state="analysed",
            raw_body=text.replace('"x": 1', f'"x": {literal}').encode(),
        )
    yield ApiCase(
        "api-event-outputs-huge",
        "POST",
        EVENTS,
        "2",
        state="analysed",
        expect="any",
        body=_move(5, outputs={"x": "h" * 250_000}),
    )  # debatable: under the body limit
    yield ApiCase("api-event-step8-no-result", "POST", EVENTS, "3", state="deployed", body=_move(8))
    yield ApiCase("api-event-step9-no-scan", "POST", EVENTS, "3", state="tested", body=_move(9))
    for name, times in {
        "started-naive": {"started_at": "2026-11-30T09:00:00"},
        "started-garbage": {"started_at": "besok"},
        "started-epoch": {"started_at": "1970-01-01T00:00:00+00:00"},
        "ended-future": {"ended_at": "2999-01-01T00:00:00+07:00"},
        "started-after-ended": {
            "started_at": "2026-11-30T10:00:00+07:00",
            "ended_at": "2026-11-30T09:00:00+07:00",
        },
    }.items():
        yield ApiCase(
            f"api-event-{name}",
            "POST",
            EVENTS,
            "6",
            state="forwarded",
            body={"step": 3, "actor": "Kadis", "outcome": "approve", **times},
        )


def plan_cases() -> dict[str, tuple[str, Any, Expect]]:
    """Changes to a real plan (ports[0] is the gateway port): (dotted path in the plan, new value, expect).

    ``refuse``: the server refuses the step 4, and ``render`` refuses the plan when it is found in a
    store anyway (read back through the typed model, the text filter and the inventory).
    """
    return {
        "port-inject": ("ports.0.port", INJECT, "refuse"),
        "port-trailing-lf": ("ports.0.port", "eth1\n", "refuse"),
        "port-unknown": ("ports.0.port", "eth99", "refuse"),
        "device-unknown": ("ports.0.device", "core-evil", "refuse"),
        "description-inject": ("ports.0.description", INJECT, "refuse"),
        "description-trailing-lf": ("ports.0.description", "OPD Dinas Kesehatan\n", "refuse"),
        "route-device-unknown": ("routes.0.device", "core-evil", "refuse"),
        "route-description-inject": ("routes.0.description", INJECT, "refuse"),
        "vlan-huge": ("vlan", 10**6, "any"),  # debatable: Plan.vlan has no bounds today
        "subnet-bad": ("addressing.subnet", "10.0.0.0/33", "refuse"),
        "ticket-id-inject": ("ticket_id", INJECT, "refuse"),
        "site-inject": ("site", INJECT, "refuse"),
        "extra-field": ("commands", ["ip route 0.0.0.0/0 203.0.113.66"], "refuse"),
        "opd-inject": ("opd", INJECT, "refuse"),
    }


def api_cases_static() -> list[ApiCase]:
    return [
        *_api_new_ticket(),
        *_api_events(),
        *_api_queries(),
        *_api_methods(),
        *_api_auth(),
        *_api_raw(),
        *_api_faults(),
    ]


# --- fault reports and steps (issue 19), sent as the helpdesk (it may report for any site) ---------
API_FAULTS = "/api/v1/faults"
FAULT_BODY = {"category": "lainnya", "description": "Printer jaringan tidak terlihat.", "site": "dinkes"}


def _fault_body(**changes: Any) -> dict[str, Any]:
    return {**FAULT_BODY, **changes}


def _api_faults() -> Iterator[ApiCase]:
    for kind in (*BAD_SHORT, "nul", "bom", "lsep", "zwsp", "trailing-lf"):
        body = _fault_body(description=BAD_TEXT[kind])
        yield ApiCase(f"api-fault-description-{kind}", "POST", API_FAULTS, "7", body=body)
        step = {"step": "diagnosed", "note": BAD_TEXT[kind]}
        yield ApiCase(f"api-fault-step-note-{kind}", "POST", f"{API_FAULTS}/GGN-00001/steps", "7", body=step)
    for kind in ("close-tag", "link"):  # odd but valid: one report (the second joins it: 200)
        body = _fault_body(description=MARKUP[kind], category="jaringan lambat")
        yield ApiCase(
            f"api-fault-description-markup-{kind}", "POST", API_FAULTS, "7", expect="store", body=body
        )
    for name, body in {
        "category-unknown": _fault_body(category="internet mati"),
        "category-number": _fault_body(category=3),
        "category-missing": {"description": "x", "site": "dinkes"},
        "category-case": _fault_body(category="Jaringan Putus"),
        "app-missing": _fault_body(category="tidak bisa akses aplikasi"),
        "app-unknown": _fault_body(category="tidak bisa akses aplikasi", application="tiktok"),
        "app-on-network": _fault_body(category="jaringan putus", application="simpeg"),
        "app-traversal": _fault_body(category="tidak bisa akses aplikasi", application="../simpeg"),
        "site-mars": _fault_body(site="mars"),
        "site-traversal": _fault_body(site="../../etc/passwd"),
        "site-long": _fault_body(site="s" * 10_000),
        "site-number": _fault_body(site=7),
        "description-empty": _fault_body(description="   "),
        "description-long": _fault_body(description="x" * 2001),
        "description-deep": _fault_body(description=nested(900)),
        "severity-given": _fault_body(severity="outage"),
        "opened-at-given": _fault_body(opened_at="2000-01-01T00:00:00Z"),
        "extra-field": _fault_body(admin=True),
        "array": [FAULT_BODY],
    }.items():
        yield ApiCase(f"api-fault-report-{name}", "POST", API_FAULTS, "6", body=body)
    steps = f"{API_FAULTS}/GGN-00001/steps"
    for name, body in {
        "reported": {"step": "reported"},
        "number": {"step": 3},
        "null": {"step": None},
        "unknown": {"step": "repaired"},
        "severity-on-fixed": {"step": "fixed", "severity": "minor"},
        "severity-unknown": {"step": "triaged", "severity": "catastrophic"},
        "note-long": {"step": "closed", "note": "x" * 2001},
        "at-given": {"step": "closed", "at": "2000-01-01T00:00:00Z"},
        "actor-given": {"step": "closed", "actor": {"role": "Monitor", "name": "nms"}},
    }.items():
        yield ApiCase(f"api-fault-step-{name}", "POST", steps, "6", body=body)
    for name, fid in {
        "unknown": "GGN-99999",
        "short": "GGN-1",
        "ticket": "SPL-2026-00001",
        "lf": "GGN-00001%0Aip%20route",
        "nul": "GGN-00001%00",
        "traversal": "..%2F..%2Fetc%2Fpasswd",
        "long": "GGN-" + "9" * 10_000,
        "unicode-digit": "GGN-0000%D9%A1",
    }.items():
        yield ApiCase(f"api-fault-get-{name}", "GET", f"{API_FAULTS}/{fid}", "6")
        body = {"step": "closed"}
        yield ApiCase(f"api-fault-step-id-{name}", "POST", f"{API_FAULTS}/{fid}/steps", "6", body=body)
    for name, query in {
        "status": "status=deleted",
        "source": "source=%1B%5B2J",
        "opd-traversal": "opd=..%2Fdinkes",
        "limit-zero": "limit=0",
        "limit-huge": f"limit={10**30}",
        "cursor-garbage": "cursor=abc.def",
        "unknown-parameter": "stauts=open",
    }.items():
        yield ApiCase(f"api-fault-list-{name}", "GET", f"{API_FAULTS}?{query}", "6")


def _api_queries() -> Iterator[ApiCase]:
    # Each query selects no ticket when it is read right, so no other case's ticket decides its answer.
    future, past = "since=2999-01-01T00:00:00Z", "until=2000-01-01T00:00:00Z"
    for name, query in {
        "until-number": f"{future}&until=0.5",
        "since-garbage": f"since=kemarin&{past}",
        "since-naive": f"since=2026-11-01T00:00:00&{past}",
        "until-year-huge": f"{future}&until=99999-01-01T00:00:00%2B07:00",
        "status-esc": f"status=%1B%5B2J&{future}",
        "status-long": f"status={'x' * 10_000}&{future}",
    }.items():
        expect: Expect = "any" if name.startswith("status") else "refuse"
        yield ApiCase(f"api-list-{name}", "GET", f"{TICKETS}?{query}", "6", expect=expect)
    for name, query in {
        "due-garbage": "due=besok",
        "due-number": "due=0.5",
        "due-naive": "due=2026-11-01T00:00:00",
    }.items():
        yield ApiCase(f"api-outbox-{name}", "GET", f"/api/v1/notifications?{query}", "6")
    for name, tid in {
        "unknown": "SPL-2026-99999",
        "unicode-digit": "SPL-2026-0000%D9%A1",
        "traversal": "..%2F..%2Fetc%2Fpasswd",
        "dots": "..",
        "nul": "SPL-2026-00001%00",
        "lf": "SPL-2026-00001%0Aip%20route",
        "long": "S" * 10_000,
        "sql": "SPL-2026-00001'%20OR%20'1'='1",
    }.items():
        yield ApiCase(f"api-get-id-{name}", "GET", f"{TICKETS}/{tid}", "6")
        yield ApiCase(
            f"api-event-id-{name}",
            "POST",
            f"{TICKETS}/{tid}/events",
            "6",
            body={"step": 3, "actor": "Kadis", "outcome": "approve"},
        )
    for n in (str(10**30), "-1", "0", str(2**63), str(2**63 - 1), "1e3", "abc", "%D9%A1"):
        yield ApiCase(
            f"api-delivery-id-{n:.12}", "POST", f"/api/v1/notifications/{n}/delivery", "6", body={"ok": True}
        )
    yield ApiCase(
        "api-delivery-ok-string", "POST", "/api/v1/notifications/1/delivery", "6", body={"ok": "yes"}
    )
    yield ApiCase(
        "api-retry-ticket-number", "POST", "/api/v1/notifications/retry", "6", body={"ticket_id": 5}
    )
    yield ApiCase("api-retry-extra", "POST", "/api/v1/notifications/retry", "6", body={"all": True})


# path -> the methods the API serves on it
PATHS = {
    "/api/v1/health": ("GET",),
    TICKETS: ("GET", "POST"),
    "/api/v1/tickets/SPL-2026-00001": ("GET",),
    "/api/v1/tickets/SPL-2026-00001/events": ("POST",),
    "/api/v1/notifications": ("GET",),
    "/api/v1/notifications/1/delivery": ("POST",),
    "/api/v1/notifications/retry": ("POST",),
    "/api/v1/faults": ("GET", "POST"),
    "/api/v1/faults/GGN-00001": ("GET",),
    "/api/v1/faults/GGN-00001/steps": ("POST",),
}


def _api_methods() -> Iterator[ApiCase]:
    for path, allowed in PATHS.items():
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if method in allowed:
                continue
            yield ApiCase(
                f"api-method-{method}-{path.removeprefix('/api/v1/')}",
                method,
                path,
                "6",
                statuses=(405,),
                body={} if method in ("POST", "PUT", "PATCH") else None,
            )


def _api_auth() -> Iterator[ApiCase]:
    for name, header in {
        "missing": None,
        "wrong": "Bearer wrong-token-0123456789abcdef",
        "basic": "Basic dXNlcjpwYXNz",
        "token-no-scheme": "{token}",
        "token-suffix": "Bearer {token}x",
        "token-prefix": "Bearer x{token}",
    }.items():
        for method, path in (("GET", TICKETS), ("POST", TICKETS)):
            yield ApiCase(
                f"api-auth-{name}-{method}",
                method,
                path,
                "6",
                auth=header,
                statuses=(401,),
                body=new_ticket_body() if method == "POST" else None,
            )
    for name, header in {
        "empty-bearer": "Bearer ",
        "latin1": "Bearer t\u00f6ken",
        "cr": "Bearer {token}\rX: y",
    }.items():
        yield ApiCase(
            f"api-auth-{name}-raw",
            "GET",
            TICKETS,
            "6",
            statuses=(400, 401),
            raw=_raw("GET", TICKETS, {}).replace(b"Bearer {token}", header.encode("latin-1")),
        )
    yield ApiCase(
        "api-auth-token-in-query", "GET", TICKETS + "?token={token}", "6", auth=None, statuses=(401,)
    )


def _raw(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {{host}}\r\nAuthorization: Bearer {{token}}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Connection: close\r\n\r\n"
    return head.encode() + body


def _chunked(payload: bytes, size: int = 16 * 1024) -> bytes:
    out = b""
    for i in range(0, len(payload), size):
        part = payload[i : i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def _padded_new_ticket(size: int) -> bytes:
    text = json.dumps(new_ticket_body())
    return (text[:-1] + " " * (size - len(text)) + "}").encode()


def _api_raw() -> Iterator[ApiCase]:
    big = _padded_new_ticket(600 * 1024)
    ctype = {"Content-Type": "application/json"}
    yield ApiCase(
        "api-raw-chunked-small-length",
        "POST",
        TICKETS,
        "6",
        raw=_raw(
            "POST", TICKETS, {**ctype, "Content-Length": "10", "Transfer-Encoding": "chunked"}, _chunked(big)
        ),
    )
    yield ApiCase(
        "api-raw-chunked-no-length",
        "POST",
        TICKETS,
        "6",
        raw=_raw("POST", TICKETS, {**ctype, "Transfer-Encoding": "chunked"}, _chunked(big)),
    )
    yield ApiCase(
        "api-raw-length-negative",
        "POST",
        TICKETS,
        "6",
        raw=_raw("POST", TICKETS, {**ctype, "Content-Length": "-5"}, b"{}"),
    )
    yield ApiCase(
        "api-raw-length-huge",
        "POST",
        TICKETS,
        "6",
        raw=_raw("POST", TICKETS, {**ctype, "Content-Length": str(10**30)}, b"{}"),
    )
    yield ApiCase(
        "api-raw-length-twice",
        "POST",
        TICKETS,
        "6",
        raw=_raw("POST", TICKETS, {**ctype, "Content-Length": "2", "content-length": "3"}, b"{} "),
    )
    yield ApiCase(
        "api-raw-body-over-limit",
        "POST",
        TICKETS,
        "6",
        raw=_raw("POST", TICKETS, {**ctype, "Content-Length": str(len(big))}, big),
    )
    yield ApiCase(
        "api-raw-header-unicode",
        "GET",
        TICKETS,
        "6",
        expect="any",
        raw=_raw("GET", TICKETS + "?since=2999-01-01T00:00:00Z", {"X-Name": "\u00e9\u00e9"}),
    )
