"""The time as the application sees it. Tests move it (validity of convenants, deadlines) with `frozen`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

_fixed: datetime | None = None


def now() -> datetime:
    return _fixed if _fixed is not None else datetime.now(UTC)


def today() -> date:
    return now().date()


def set_fixed(moment: datetime | None) -> None:
    global _fixed
    _fixed = moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    previous = _fixed
    set_fixed(moment)
    try:
        yield
    finally:
        set_fixed(previous)
