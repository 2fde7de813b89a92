"""A convenant as the API shows it: one version, with the number of a newer pending concept."""

from __future__ import annotations

from dataclasses import dataclass

from app.convenants.models import Convenant, ConvenantVersion


@dataclass(frozen=True)
class ConvenantWarning:
    """Something the administrator should know about a version that does not stop it (app/convenants/warnings.py)."""

    code: str
    case_type: str
    organisation: str
    category: str
    message: str


@dataclass(frozen=True)
class ConvenantView:
    """One version of a convenant as shown by the API, with the number of a newer pending concept."""

    convenant: Convenant
    version: ConvenantVersion
    pending_version: int | None = None
    warnings: tuple[ConvenantWarning, ...] = ()
