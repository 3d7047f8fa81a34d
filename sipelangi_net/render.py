"""Render device configurations from templates (pure: text in, text out).

Templates live in ``templates/<platform>/<name>.j2``. Undefined variables are
errors, never empty strings.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from sipelangi_net.errors import ConfigError
from sipelangi_net.paths import templates_dir
from sipelangi_net.validate import printable

CLI_SAFE = re.compile(r"^[A-Za-z0-9 .,:;()/_&+'@-]{0,80}$")


def cli_text(value: object) -> str:
    """Jinja filter ``cli``: text that may go into a device CLI line, or a ConfigError.

    Device CLIs give meaning to characters such as ``?`` (help), ``!`` (comment),
    ``|`` (pipe), quotes and any control character; such text is refused, never sent.
    """
    text = str(value)
    if not CLI_SAFE.match(text):
        bad = next((ch for ch in text if not CLI_SAFE.match(ch)), None)
        what = f"the character {printable(bad)!r}" if bad else "more than 80 characters"
        raise ConfigError(f"text {printable(text)[:90]!r} cannot be sent to a device CLI: it holds {what}")
    return text


@lru_cache(maxsize=8)
def environment(root: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root or templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - device configs, not HTML
    )
    env.filters["shquote"] = lambda value: shlex.quote(str(value))
    env.filters["cli"] = cli_text
    return env


def render(template: str, *, root: Path | None = None, **context: Any) -> str:
    """Render ``template`` (a path relative to the templates folder)."""
    env = environment(root)
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateNotFound:
        raise ConfigError(f"{root or templates_dir()}/{template}: template not found") from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"{template}: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"{exc.filename or template}:{exc.lineno}: template syntax error: {exc.message}"
        ) from None


@dataclass(frozen=True, slots=True)
class Intended:
    """What one device must run for a ticket: the rendered snippet of its platform."""

    device: str
    platform: str
    text: str


def render_plan(plan: Any, inventory: Any, *, root: Path | None = None) -> dict[str, Intended]:
    """Render ``templates/<platform>/opd.j2`` for every device the plan touches (pure).

    ``plan`` is a :class:`sipelangi_net.analysis.plan.Plan`; it is the only input besides the
    inventory's shared data (DNS, NTP).
    """
    if not plan.available or plan.addressing is None:
        raise ConfigError(f"ticket {plan.ticket_id}: its plan is not available; nothing to render")
    devices = sorted({p.device for p in plan.ports} | {r.device for r in plan.routes})
    data = inventory.defaults.data
    out = {}
    for device in devices:
        dev = inventory.devices.get(device)
        if dev is None:
            raise ConfigError(f"ticket {plan.ticket_id}: device {device} of the plan is not in the inventory")
        platform = dev.platform.value
        text = render(
            f"{platform}/opd.j2",
            root=root,
            plan=plan,
            device=device,
            ports=[p for p in plan.ports if p.device == device],
            routes=[r for r in plan.routes if r.device == device],
            dns_servers=data.get("dns_servers", []),
            ntp_servers=data.get("ntp_servers", []),
        )
        out[device] = Intended(device=device, platform=platform, text=text)
    return out
