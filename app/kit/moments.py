"""Request fields for moments and days that accept what their published schema says and nothing else.

Pydantic's lax parsing takes `0` or `1700000000` (Unix time) for a `datetime` or a `date`; the contract
says `format: date-time` / `format: date`, a string. A number where a moment belongs is a client's bug, and
silently storing 1970-01-01 would hide it: refused (422), as Schemathesis' ST201 check expects. Values
made in Python (datetime and date objects) pass as they are.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("an RFC 3339 date-time with a UTC offset, such as 2025-03-01T10:00:00Z")
    return value


def in_utc(value: datetime) -> datetime:
    """Stored, compared and answered in UTC; 0001-01-01T00:00:00+01:00 is a moment in year 0, which neither
    database holds."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("a moment between the years 1 and 9999 in UTC") from exc


def _day(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DAY.match(value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(rfc3339), AfterValidator(in_utc)]
Day = Annotated[date, BeforeValidator(_day)]
