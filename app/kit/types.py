"""Column types that know no domain: a closed set of codes stored as VARCHAR."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)


class Code(TypeDecorator[E]):
    """A code column: VARCHAR(length) in the database (no database enum: adding a code needs no type
    migration), the StrEnum member in Python. A value outside the enum fails loudly, bound or loaded.

    The processors are dictionary look-ups, not enum constructor calls: a list page converts every row's
    codes, and `Enum(value)` costs three Python calls where `dict.__getitem__` costs none (bench/)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        # A StrEnum member hashes and compares as its value: one table serves members and plain strings.
        self._members: dict[str | None, E | None] = {m.value: m for m in enum}
        self._members[None] = None
        self._values: dict[str | None, str | None] = {m.value: m.value for m in enum}
        self._values[None] = None

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return self._values[value]

    def process_result_value(self, value: Any, dialect: Any) -> E | None:
        return self._members[value]

    # A value outside the code list raises KeyError naming it: loud, as a bad value must be.
    def bind_processor(self, dialect: Any) -> Callable[[Any], str | None]:
        return self._values.__getitem__

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], E | None]:
        return self._members.__getitem__
