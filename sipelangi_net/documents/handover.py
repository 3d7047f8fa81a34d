"""The signed handover (SOP step 9) as the ticket keeps it: who signed, the scan and its SHA-256.

A leaf module (pydantic only), so the ticket workflow's schema of step outputs
(:mod:`sipelangi_net.tickets.outputs`) can use it without importing the documents stage.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from sipelangi_net.validate import safe_text

SignerRole = Literal["tim_kerja", "pemohon"]
Name = Annotated[str, StringConstraints(min_length=3, max_length=100), AfterValidator(safe_text)]
Nip = Annotated[str, StringConstraints(pattern=r"^\d{18}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
SIGNER_ROLES: tuple[SignerRole, ...] = ("tim_kerja", "pemohon")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Signer(_Frozen):
    """One person who signs the berita acara."""

    role: SignerRole
    name: Name
    nip: Nip


class Handover(_Frozen):
    """What ``ticket sign`` records on step 9 as ``outputs["handover"]``: signed by both sides, scanned."""

    number: Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(safe_text)]
    signers: tuple[Signer, ...]
    scan_sha256: Sha256
    scan: Annotated[str, StringConstraints(min_length=1, max_length=4096), AfterValidator(safe_text)]

    @model_validator(mode="after")
    def _signed_by_both(self) -> Handover:
        missing = [r for r in SIGNER_ROLES if not any(s.role == r for s in self.signers)]
        if missing:
            raise ValueError(f"signers: no {' and no '.join(missing)} signer")
        return self
