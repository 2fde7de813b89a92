from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.kit.text_fields import NonBlankText
from app.vocabulary import OrganisationKind

# Lowercase slug: stable in tokens (`org` claim), URLs and convenants.
OrgCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=2, max_length=64)]
OrgName = Annotated[str, NonBlankText(200)]


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: OrgCode
    name: OrgName
    kind: OrganisationKind


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    kind: OrganisationKind
    created_at: datetime


class OrganisationPage(BaseModel):
    items: list[OrganisationOut]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page")
