from __future__ import annotations

from pydantic import BaseModel


class RoleOut(BaseModel):
    code: str
    label: str
    actions: list[str]
    # The organisation kinds whose staff may hold the role; null: any kind.
    organisation_kinds: list[str] | None = None


class CategoryOut(BaseModel):
    code: str
    label: str
    avg_class: str


class PoliciesOut(BaseModel):
    roles: list[RoleOut]
    data_categories: list[CategoryOut]
