"""Free-text field types for request schemas, so the OpenAPI schema states exactly what is checked.

`StringConstraints(strip_whitespace=True, min_length=1)` strips before it measures: the schema then
promises that " " (length 1) is fine while validation refuses it, and that 201 characters are too
long while validation accepts them once the spaces are gone. Here the length is checked on the text
as sent (as the schema says), then the text is stripped; text of whitespace alone is refused as a
value error (a rule JSON schema cannot state portably).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints


def _strip(value: str) -> str:
    return value.strip()


def _strip_not_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


def NonBlankText(max_length: int) -> Any:
    """1..max_length characters as sent, not all whitespace; stored stripped."""
    return Annotated[str, StringConstraints(min_length=1, max_length=max_length), AfterValidator(_strip_not_blank)]


def StrippedText(max_length: int) -> Any:
    """At most max_length characters as sent; stored stripped (may be empty)."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_strip)]
