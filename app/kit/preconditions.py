"""Optimistic concurrency for every versioned resource (cases, meetings): If-Match carries the version the client
read, and a write on another version is refused."""

from __future__ import annotations

from app.kit.errors import PreconditionRequired, StaleVersion


def parse_if_match(header: str | None, what: str) -> int | None:
    """`"3"`, `W/"3"` or `3` -> 3; `*` -> None (the client overwrites whatever version is current, RFC 9110).
    Absent: 428, so that a client forgetting the header cannot silently overwrite another partner's update."""
    if header is None:
        raise PreconditionRequired(f"Writes on a {what} need If-Match: the {what}'s ETag (or * to overwrite "
                                   "whatever version is current)")
    if header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise StaleVersion(f"If-Match must be the ETag of the {what} (its version)")
    return int(value)


def check_version(current: int, if_match: int | None, what: str) -> None:
    if if_match is not None and if_match != current:
        raise StaleVersion(f"The {what} is at version {current}, not {if_match}; reload and retry")
