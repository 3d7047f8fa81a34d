"""A playbook file: its steps, each an action of the registry with its options (validated on load)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from sipelangi_net.errors import InventoryError, PlaybookError
from sipelangi_net.validate import safe_text

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9 -]{0,39}$")]


class PlayStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: Name
    action: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,39}$")]
    sop_step: Annotated[int, Field(ge=1, le=12)] | None = None
    """The SOP step the action records (for the summary's time against the standard)."""
    options: dict[str, Any] = Field(default_factory=dict, alias="with")
    stop_on_dry_run: bool = False
    """With ``--dry-run`` the run ends after this step."""


class Playbook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(safe_text)]
    steps: Annotated[list[PlayStep], Field(min_length=1, max_length=40)]
    path: Path | None = None


def load_playbook(path: Path, actions: Mapping[str, Any]) -> Playbook:
    """Read and check ``path``: every action known, its options accepted, step names unique."""
    from sipelangi_net.inventory import _parse, read_yaml

    try:
        raw = read_yaml(path)
        if not isinstance(raw, dict):
            raise PlaybookError(f"{path}: expected a mapping with name, description and steps")
        book = _parse(Playbook, {k: v for k, v in raw.items() if k != "path"}, path)
    except InventoryError as exc:
        raise PlaybookError(str(exc)) from None
    seen: set[str] = set()
    for n, step in enumerate(book.steps):
        where = f"{path}: steps.{n} ({step.name})"
        if step.name in seen:
            raise PlaybookError(f"{where}: the step name is used twice")
        seen.add(step.name)
        action = actions.get(step.action)
        if action is None:
            known = ", ".join(sorted(actions))
            raise PlaybookError(f"{where}: unknown action {step.action!r} (known: {known})")
        unknown = set(step.options) - set(action.options)
        if unknown:
            allowed = ", ".join(sorted(action.options)) or "none"
            raise PlaybookError(f"{where}: option {sorted(unknown)[0]!r} not accepted (accepted: {allowed})")
    return book.model_copy(update={"path": path})
