"""Column types that know no domain: a closed set of codes stored as VARCHAR."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)


class Code(TypeDecorator[E]):
    """A code column: VARCHAR(length) in the database (no database enum: adding a code needs no type
    migration), the StrEnum member in Python. A stored value outside the enum fails loudly on load."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)
