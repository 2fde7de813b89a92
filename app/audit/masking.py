"""What the audit log keeps of free text a caller sent: never a BSN or another long number, never a search
term as sent (the log is append-only: nothing in it may ever need erasing).

- A search term (`q`) is recorded as the fact of a search and its length only: a hash of a BSN would be
  reversible by trying all 10^9 of them.
- A toelichting keeps its words; every run of 8 or more digits (a BSN with or without separators, a phone
  or account number) becomes `[nummer]`.
- Other filters are ids, codes and moments: recorded as given.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from typing import Any

# 8+ digits, possibly split by spaces or dots (a BSN is written 1234.56.782 as often as 123456782); not by
# dashes, so that an ISO date or an id in a toelichting stays readable.
_LONG_NUMBER = re.compile(r"\d(?:[ .]?\d){7,}")
FREE_TEXT_FILTERS = frozenset({"q"})


def mask_numbers(text: str | None) -> str | None:
    return None if text is None else _LONG_NUMBER.sub("[nummer]", text)


def filters_detail(flt: Any) -> dict[str, Any]:
    """The filters of a list request (a dataclass) as the audit entry records them: the set ones, free text
    as its length."""
    if not is_dataclass(flt):
        raise TypeError("a filter dataclass")
    out: dict[str, Any] = {}
    for f in fields(flt):
        value = getattr(flt, f.name)
        if value is not None:
            out[f.name] = {"search_length": len(str(value))} if f.name in FREE_TEXT_FILTERS else str(value)
    return out
