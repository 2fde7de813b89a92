"""Query parameter types whose validation is exactly what the OpenAPI schema says.

Pydantic's lax datetime parsing takes `0.5` or `1700000000` (Unix time), `2020-01-01` and naive
`2020-01-01T10:00:00` for a `datetime`, all of which the schema's `format: date-time` (RFC 3339)
refuses. A filter on a period must not silently mean something else: anything but an RFC 3339
date-time with a UTC offset is a 422, and so is one that is no moment in years 1-9999 once in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError("an RFC 3339 date-time with a UTC offset, such as 2025-03-01T10:00:00Z")
    return value


def _in_utc(value: datetime) -> datetime:
    # Stored and compared in UTC: 0001-01-01T00:00:00+01:00 is a moment in year 0, which neither database holds.
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("a moment between the years 1 and 9999 in UTC") from exc


DateTimeQuery = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_in_utc)]
