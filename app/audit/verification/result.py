"""What a verification finds: the verdict, and the pieces it is assembled from when the chain is checked
in chunks: `Segment` (one chunk's findings), `_chunks` (cutting the seq range) and `_merge` (the chunks
back into one chain, in seq order)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from app.audit.hash_chain import GENESIS_HASH

GAP = "gap or reordering before this entry (an entry was deleted or inserted)"
BAD_PREV = "prev_hash does not match the previous entry"
CHANGED = "content does not match its hash (entry was changed)"
BAD_HEAD = "chain head does not match the last entry (entries were removed from the end)"


@dataclass
class Verification:
    valid: bool
    entries: int
    head: str
    first_invalid_id: str | None = None
    first_invalid_seq: int | None = None
    reason: str | None = None
    # Filled in by app/audit/anchoring.py: the entries not yet chained, and the signed checkpoints.
    staged: int = 0
    oldest_staged_age_seconds: float | None = None
    checkpoints_checked: int = 0
    newest_checkpoint: dict[str, Any] | None = None
    contradicted_checkpoint: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid, "entries": self.entries, "head": self.head}
        if not self.valid:
            out.update(first_invalid_id=self.first_invalid_id, first_invalid_seq=self.first_invalid_seq,
                       reason=self.reason)
        return out

    def with_anchors(self) -> dict[str, Any]:
        """as_dict and what anchoring found: the staging state and the checkpoints checked."""
        out = self.as_dict()
        out.update(staged=self.staged, oldest_staged_age_seconds=self.oldest_staged_age_seconds,
                   checkpoints_checked=self.checkpoints_checked, newest_checkpoint=self.newest_checkpoint)
        if self.contradicted_checkpoint is not None:
            out["contradicted_checkpoint"] = self.contradicted_checkpoint
        return out


def _head_verdict(count: int, prev: str, head: tuple[int, str] | None) -> Verification:
    """The last check of every path: the chain head must name the last entry (seq, hash) verified."""
    if head is None or head != (count, prev):
        return Verification(False, count, prev, None, count + 1, BAD_HEAD)
    return Verification(True, count, prev)


@dataclass
class Segment:
    """What one chunk (lo, hi] of the seq range holds, verified up to its first problem.

    `first` is its first row (seq, id, prev_hash), whose links to the previous chunk are checked at the
    merge; `problem` is (rows verified before it, seq, id, reason, hash of the row before it or None).
    `fast` and `exact` count the rows hashed by the template and by hash_chain.entry_hash.
    """

    lo: int
    hi: int
    count: int = 0
    first: tuple[int, str, str] | None = None
    last: tuple[int, str] | None = None
    problem: tuple[int, int, str, str, str | None] | None = None
    fast: int = 0
    exact: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Segment:
        for key in ("first", "last", "problem"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**data)


def _chunks(max_seq: int, chunk_rows: int, max_chunks: int = 1024) -> list[tuple[int, int]]:
    if max_seq <= 0:
        return []
    n = min(max_chunks, max(1, math.ceil(max_seq / chunk_rows)))
    width = math.ceil(max_seq / n)
    return [(lo, min(lo + width, max_seq)) for lo in range(0, max_seq, width)]


def _merge(segments: Sequence[Segment], head: tuple[int, str] | None) -> Verification:
    """The chunks in seq order as one chain: the first problem in seq order wins, as in the reference."""
    prev, expected, count = GENESIS_HASH, 1, 0
    for seg in sorted(segments, key=lambda s: s.lo):
        if seg.first is None:
            if seg.problem is not None:  # pragma: no cover - a problem implies a first row
                raise RuntimeError("segment with a problem but no rows")
            continue
        seq, entry_id, first_prev = seg.first
        if seq != expected:
            return Verification(False, count, prev, entry_id, seq, GAP)
        if first_prev != prev:
            return Verification(False, count, prev, entry_id, seq, BAD_PREV)
        if seg.problem is not None:
            done, bad_seq, bad_id, reason, before = seg.problem
            # `before` is None only when the chunk's first row is the bad one (done == 0)
            last_good = before if done and before is not None else prev
            return Verification(False, count + done, last_good, bad_id, bad_seq, reason)
        if seg.last is None:  # pragma: no cover
            raise RuntimeError("segment without rows after its first")
        count += seg.count
        expected, prev = seg.last[0] + 1, seg.last[1]
    return _head_verdict(count, prev, head)
