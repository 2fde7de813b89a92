"""A convenant as the API shows it: one version, with the number of a newer pending concept."""

from __future__ import annotations

from dataclasses import dataclass

from app.convenants.models import Convenant, ConvenantVersion


@dataclass(frozen=True)
class ConvenantView:
    """One version of a convenant as shown by the API, with the number of a newer pending concept."""

    convenant: Convenant
    version: ConvenantVersion
    pending_version: int | None = None
