"""Render device configurations from templates (pure: text in, text out).

Templates live in ``templates/<platform>/<name>.j2``. Undefined variables are
errors, never empty strings.

No value reaches a device unchecked: :func:`render_plan` checks every string of its context
(the plan read back from a store, the inventory's shared data) for control characters and the
plan's devices and ports against the inventory, naming the ticket and the field; and every value
a template prints passes one filter (the environment's ``finalize``) that refuses CR, LF and any
other control character, so no value can add a line to a device config.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from sipelangi_net.change.opd_context import opd_context
from sipelangi_net.errors import ConfigError
from sipelangi_net.paths import template_dirs
from sipelangi_net.platforms import spec_for
from sipelangi_net.validate import printable, unsafe_character

CLI_SAFE = re.compile(r"[A-Za-z0-9 .,:;()/_&+'@-]{0,80}")
"""What a device CLI line may hold (always matched with ``fullmatch``: ``$`` would let a trailing LF by)."""


def cli_text(value: object) -> str:
    """Jinja filter ``cli``: text that may go into a device CLI line, or a ConfigError.

    Device CLIs give meaning to characters such as ``?`` (help), ``!`` (comment),
    ``|`` (pipe), quotes and any control character; such text is refused, never sent.
    """
    text = str(value)
    if not CLI_SAFE.fullmatch(text):
        bad = next((ch for ch in text if not CLI_SAFE.fullmatch(ch)), None)
        what = f"the character {printable(bad)!r}" if bad else "more than 80 characters"
        raise ConfigError(f"text {printable(text)[:90]!r} cannot be sent to a device CLI: it holds {what}")
    return text


def one_line(value: object) -> object:
    """The environment's ``finalize``: every printed value is one line without control characters."""
    if isinstance(value, str):
        bad = unsafe_character(value)
        if bad:
            raise ConfigError(f"template value {printable(value)[:90]!r} holds {bad}: refused, never sent")
    return value


def _roots(root: Path | None) -> tuple[Path, ...]:
    return (root,) if root is not None else template_dirs()


def environment(root: Path | None = None) -> jinja2.Environment:
    """The device templates' environment: ``root`` alone, else the workspace's then the packaged."""
    return _environment(_roots(root))


@lru_cache(maxsize=8)
def _environment(roots: tuple[Path, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        finalize=one_line,
        loader=jinja2.FileSystemLoader([str(r) for r in roots]),
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
        searched = ", ".join(str(r) for r in _roots(root))
        raise ConfigError(f"{template}: template not found (searched {searched})") from None
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
    inventory's shared data (DNS, NTP), the device platform's ``port_names`` (its spec's
    ``templates.port_names``: ports the device prints by name) and what
    :func:`~sipelangi_net.change.opd_context.opd_context` derives from both (the router-switch
    handoff, the bandwidth-test servers, the QoS classes).
    """
    if not plan.available or plan.addressing is None:
        raise ConfigError(f"ticket {plan.ticket_id}: its plan is not available; nothing to render")
    data = inventory.defaults.data
    check_text(plan.ticket_id, "plan", plan.model_dump(mode="json"))
    check_text(plan.ticket_id, "inventory defaults data", {k: data.get(k, []) for k in SHARED_DATA})
    check_in_inventory(plan, inventory)
    devices = sorted({p.device for p in plan.ports} | {r.device for r in plan.routes})
    shared = opd_context(plan, inventory)
    out = {}
    for device in devices:
        platform = inventory.devices[device].platform
        text = render(
            f"{platform.value}/opd.j2",
            root=root,
            plan=plan,
            device=device,
            ports=[p for p in plan.ports if p.device == device],
            routes=[r for r in plan.routes if r.device == device],
            dns_servers=data.get("dns_servers", []),
            ntp_servers=data.get("ntp_servers", []),
            port_names=spec_for(platform).templates.port_names,
            **shared,
        )
        out[device] = Intended(device=device, platform=platform.value, text=text)
    return out


SHARED_DATA = ("dns_servers", "ntp_servers")
"""The inventory's shared data the device templates read."""


def check_text(ticket_id: str, where: str, value: Any) -> None:
    """Every string in ``value`` (nested dicts and lists) is one line of printable text, else a
    ConfigError naming the ticket and the field (e.g. ``plan.ports[0].port``)."""
    if isinstance(value, str):
        bad = unsafe_character(value)
        if bad:
            raise ConfigError(
                f"ticket {ticket_id}: {where} {printable(value)[:90]!r} holds {bad}:"
                " refused before rendering; nothing was sent (repair the record or analyse again)"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(ticket_id, f"{where}.{printable(str(key))}", item)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_text(ticket_id, f"{where}[{i}]", item)


def _reserved_ports(inventory: Any) -> dict[tuple[str, str], str]:
    """The ports the inventory gives a role (links, distribution ports, uplinks, server ports)."""
    used: dict[tuple[str, str], str] = {}
    for link in inventory.links:
        for end in (link.a, link.b):
            used[end.device, end.port] = "a link"
    for key, site in inventory.sites.items():
        used[site.distribution.device, site.distribution.port] = f"site {key}'s distribution port"
        used[site.access_switch.device, site.access_switch.uplink] = f"site {key}'s uplink"
    seg = inventory.servers.segment
    used[seg.gateway.device, seg.gateway.port] = "the server segment's gateway"
    return used


def check_in_inventory(plan: Any, inventory: Any) -> None:
    """The plan's devices and ports exist in the inventory and are the ones of its site.

    The gateway port is the site's distribution port, the uplink the site's access switch
    uplink, access ports are on the site's access switch and hold no other role in the
    inventory (which ports are free is live data: the analysis read them from the device).
    """
    where = f"ticket {plan.ticket_id}: plan"
    site = inventory.sites.get(plan.site)
    if site is None:
        raise ConfigError(f"{where}.site {plan.site!r} is not in the inventory (inventory/sites.yaml)")
    for i, r in enumerate(plan.routes):
        if r.device not in inventory.devices:
            raise ConfigError(f"{where}.routes[{i}].device {r.device!r} is not in the inventory")
    expected = {
        "gateway": (site.distribution.device, site.distribution.port),
        "uplink": (site.access_switch.device, site.access_switch.uplink),
    }
    reserved = _reserved_ports(inventory)
    for i, p in enumerate(plan.ports):
        field = f"{where}.ports[{i}]"
        if p.device not in inventory.devices:
            raise ConfigError(f"{field}.device {p.device!r} is not in the inventory")
        want = expected.get(p.role)
        if want is not None and (p.device, p.port) != want:
            raise ConfigError(
                f"{field}: {p.role} port {p.device} {p.port!r} is not site {plan.site}'s"
                f" ({want[0]} {want[1]}); analyse the ticket again"
            )
        if p.role == "access" and p.device != site.access_switch.device:
            raise ConfigError(f"{field}.device {p.device!r} is not site {plan.site}'s access switch")
        if p.role == "access" and (p.device, p.port) in reserved:
            what = reserved[p.device, p.port]
            raise ConfigError(f"{field}.port {p.device} {p.port!r} is {what}, not an access port")
