"""A StrEnum field that validates and publishes like a `Literal` of its values.

Pydantic publishes an enum as a named component (`$ref`); the contract published before the vocabulary
became enums has these fields inline (`{"type": "string", "enum": [...]}`), and generated clients depend on
that shape. `Annotated[SignalStatus, InlineCode(SignalStatus)]` keeps it, while the value in Python is the
enum member, so the codes are written once (app/vocabulary.py) and typed everywhere.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class InlineCode:
    def __init__(self, enum: type[StrEnum]) -> None:
        self.enum = enum

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # The literal schema has checked the value: a dictionary look-up (no Python call) makes the member.
        members = {m.value: m for m in self.enum}
        return core_schema.no_info_after_validator_function(
            members.__getitem__, core_schema.literal_schema(list(members)))


class OneOf:
    """A `str` field that validates and publishes as `{"type": "string", "enum": [...]}`, the value staying a str:
    for closed vocabularies read off data (the ladders' states and triggers) rather than written as a StrEnum."""

    def __init__(self, values: tuple[str, ...]) -> None:
        self.values = values

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.literal_schema(list(self.values))
