"""Free-text field types for request schemas, so the OpenAPI schema states exactly what is checked.

`StringConstraints(strip_whitespace=True, min_length=1)` strips before it measures: the schema then
promises that " " (length 1) is fine while validation refuses it, and that 201 characters are too
long while validation accepts them once the spaces are gone. Here the length is checked on the text
as sent (as the schema says), then the text is stripped; text of whitespace alone is refused as a
value error (a rule JSON schema cannot state portably).

Use them as `Annotated` metadata so that the result is a real type alias (for mypy as for pydantic):
`Title = Annotated[str, NonBlankText(200)]`. Pydantic unpacks a `GroupedMetadata` into its items, so
this is exactly `Annotated[str, StringConstraints(...), AfterValidator(...)]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, StringConstraints


def _strip(value: str) -> str:
    return value.strip()


def _strip_not_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


@dataclass(frozen=True)
class NonBlankText(GroupedMetadata):
    """1..max_length characters as sent, not all whitespace; stored stripped."""

    max_length: int

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(min_length=1, max_length=self.max_length)
        yield AfterValidator(_strip_not_blank)


@dataclass(frozen=True)
class StrippedText(GroupedMetadata):
    """At most max_length characters as sent; stored stripped (may be empty)."""

    max_length: int

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(max_length=self.max_length)
        yield AfterValidator(_strip)
