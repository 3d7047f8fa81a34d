"""Turn a request letter (file or flags) into a validated :class:`Request` (pure but for reading the file).

Every problem is one :class:`RequestError` naming the file and the field;
nothing is stored until the request is valid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sipelangi_net.capped import read_capped_text
from sipelangi_net.errors import RequestError
from sipelangi_net.inventory import Inventory
from sipelangi_net.tickets.models import Request
from sipelangi_net.validate import printable

MAX_FILE_BYTES = 256 * 1024


def read_request_file(path: Path) -> Any:
    """The raw content of a request file (YAML or JSON), read with a cap (``--file /dev/zero`` is refused)."""
    text = read_capped_text(path, limit=MAX_FILE_BYTES, error=RequestError)
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise RequestError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())  # one line, as every error
        raise RequestError(f"{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise RequestError(f"{path}: nested too deeply") from None


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(printable(str(p)) for p in loc) or "request"


def _message(exc: ValidationError, source: str) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    msg = first["msg"]
    if first["type"] == "missing":
        msg = "is required"
    elif first["type"] == "extra_forbidden":
        msg = "is not a field of a request"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{source}: {_field(tuple(first['loc']))}: {msg}{more}"


def validate_request(raw: Any, inventory: Inventory, *, source: str = "request") -> Request:
    """Validate ``raw`` (from a file or flags) against the model and the inventory's catalogues."""
    if not isinstance(raw, dict):
        raise RequestError(f"{source}: a request is a mapping of fields (opd, site, pic, users, ...)")
    try:
        request = Request.model_validate(raw)
    except ValidationError as exc:
        raise RequestError(_message(exc, source)) from None
    check_catalogues(request, inventory, source=source)
    return request


def check_catalogues(request: Request, inventory: Inventory, *, source: str = "request") -> None:
    """Refuse a site or an application the inventory does not know (the CLI and the API alike)."""
    if request.site not in inventory.sites:
        known = ", ".join(sorted(inventory.sites))
        raise RequestError(f"{source}: site: unknown site {request.site!r} (sites: {known})")
    seen: set[str] = set()
    for i, app in enumerate(request.applications):
        if app not in inventory.applications:
            known = ", ".join(sorted(inventory.applications))
            raise RequestError(
                f"{source}: applications[{i}]: unknown application {app!r} (applications: {known})"
            )
        if app in seen:
            raise RequestError(f"{source}: applications[{i}]: {app!r} is listed twice")
        seen.add(app)
