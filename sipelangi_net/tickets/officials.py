"""The officials the SOP's messages go to: the Kepala Dinas (step 2), the Kepala Bidang (step 10) and
the helpdesk (fault tickets opened and closed, :mod:`sipelangi_net.faults.notices`).

They have no accounts (yet), so their addresses come from a settings file,
``<inventory>/officials.yaml`` (or ``SIPELANGI_OFFICIALS``)::

    kepala_dinas:
      name: Drs. H. Akhmad Subandi, M.Si.
      email: kadis@diskominfo.pangkalpinangkota.go.id
    kepala_bidang:
      email: kabid.egov@diskominfo.pangkalpinangkota.go.id
    helpdesk:
      email: helpdesk@diskominfo.pangkalpinangkota.go.id   # fault tickets (Penanganan Gangguan)
    sipelangi_url: https://sipelangi.pangkalpinangkota.go.id   # optional: links in the messages

A missing file or a missing address is not an error here: the message is queued as undeliverable,
naming this file (:mod:`sipelangi_net.tickets.outbox`). A file that does not parse is a
ConfigError naming the file and the field.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, StringConstraints, ValidationError

from sipelangi_net.capped import read_capped_text
from sipelangi_net.errors import ConfigError
from sipelangi_net.paths import inventory_dir
from sipelangi_net.validate import printable, safe_text

OfficialRole = Literal["kepala_dinas", "kepala_bidang", "helpdesk"]
MAX_BYTES = 64 * 1024
TITLES: dict[OfficialRole, str] = {
    "kepala_dinas": "Kepala Dinas Komunikasi dan Informatika",
    "kepala_bidang": "Kepala Bidang Penyelenggaraan E-Government",
    "helpdesk": "Helpdesk Diskominfo",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Official(_Frozen):
    name: Annotated[str, StringConstraints(max_length=100), AfterValidator(safe_text)] = ""
    email: EmailStr | None = None


def _pages_url(value: str) -> str:
    if value and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", value):
        raise ValueError("expected the pages' address, e.g. https://sipelangi.pangkalpinangkota.go.id")
    return value.rstrip("/")


class Officials(_Frozen):
    kepala_dinas: Official = Official()
    kepala_bidang: Official = Official()
    helpdesk: Official = Official()
    """Where fault tickets are announced (opened, closed): the helpdesk's shared mailbox."""
    sipelangi_url: Annotated[str, StringConstraints(max_length=200), AfterValidator(_pages_url)] = ""
    """Where SiPelangi's pages are (``serve``'s address as people reach it): the messages then end
    with a link to the ticket's page (the Kepala Dinas's: the decision page), "" for none."""
    source: str = ""
    """Where they were read from (for messages), e.g. ``inventory/officials.yaml``."""

    def of(self, role: OfficialRole) -> Official:
        official: Official = getattr(self, role)
        return official


def officials_path() -> Path:
    env = os.environ.get("SIPELANGI_OFFICIALS")
    return Path(env) if env else inventory_dir() / "officials.yaml"


def load_officials(path: Path | None = None) -> Officials:
    """The officials of ``path`` (default :func:`officials_path`); none when the file does not exist."""
    where = path or officials_path()
    if not where.exists():
        return Officials(source=str(where))
    text = read_capped_text(where, limit=MAX_BYTES, error=ConfigError)
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not YAML ({printable(str(exc))[:200]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with kepala_dinas, kepala_bidang and helpdesk")
    try:
        return Officials.model_validate({**raw, "source": str(where)})
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(printable(str(p)) for p in err["loc"])
        raise ConfigError(f"{where}: {field}: {err['msg']}") from None
