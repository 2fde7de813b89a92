"""Query parameter types whose validation is exactly what the OpenAPI schema says.

A period filter must not silently mean something else: anything but an RFC 3339 date-time with a UTC
offset is a 422, and so is one that is no moment in years 1-9999 once in UTC (app/kit/moments.py).
"""

from __future__ import annotations

from app.kit.moments import Moment

DateTimeQuery = Moment
