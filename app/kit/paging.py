"""One page of a list, the same way for every list: services fetch `limit + 1` rows (`window` keeps
`limit` and says whether more follow), audit exactly the items they return, and hand back a Window; the
API turns its last item into the opaque `next_cursor` (app/api/pagination.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Window(Generic[T_co]):
    """Read-only, so covariant: a Window[SignalSummary] is a Window[TimeOrdered]."""

    items: list[T_co]
    more: bool


def window(rows: Sequence[T], limit: int) -> Window[T]:
    """`rows` fetched with `limit + 1`: the first `limit`, and whether there was one more."""
    return Window(list(rows[:limit]), len(rows) > limit)
