"""Render device configurations from templates (pure: text in, text out).

Templates live in ``templates/<platform>/<name>.j2``. Undefined variables are
errors, never empty strings.
"""

from __future__ import annotations

import shlex
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from sipelangi_net.errors import ConfigError
from sipelangi_net.paths import templates_dir


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
