"""One chunk (lo, hi] of the chain checked from PostgreSQL's COPY text, with the reference check's result.

* Rows are streamed with `COPY ... TO STDOUT` in text format, not fetched as records: building 21
  Python objects per row is what made verification slow. In COPY text the escapes of a string value
  (`\\\\`, `\\n`, `\\r`, `\\t`, `\\b`, `\\f`) are exactly its JSON escapes, so a string column becomes
  its canonical JSON by adding quotes. PostgreSQL adds them to the nullable columns and prints NULL as
  `null`; `created_at` comes as `to_char` in canonical_time's format.
* Each row's `prev_hash + canonical JSON` is filled into one byte template; only `detail` and
  `subject_ids` are re-serialised (json.loads refusing floats, then orjson with sorted keys), memoised
  per distinct stored text. Seq continuity and stray quotes are checked per buffer of rows, not per row.
  Anything the template cannot reproduce byte for byte (raw control characters, `\\v`, floats, integers
  beyond 64 bits) is hashed by `hash_chain.entry_hash` itself from the decoded values, and so is any row
  whose fast hash does not match, before it is called changed.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import orjson

from app.audit.hash_chain import HASHED_FIELDS, entry_hash
from app.audit.verification.result import BAD_PREV, CHANGED, GAP, Segment

if TYPE_CHECKING:
    import asyncpg


# Canonical JSON has its keys sorted; the COPY columns come in that order, so that one template turns a
# row into `prev_hash + canonical JSON`. How each hashed column is rendered:
_JSON_FIELDS = ("detail", "subject_ids")  # re-serialised in Python
_INT_FIELDS = ("convenant_version", "seq")  # int8out/int4out print what str(int) prints
# Nullable text and uuid columns arrive quoted by PostgreSQL ('"' || col || '"'): NULL stays NULL and
# COPY prints it as `null` (NULL 'null'), so the row needs no NULL handling here.
_QUOTED_BY_PG = ("actor_role", "case_id", "client_address", "convenant_id", "legal_basis", "object_id",
                 "request_id", "toelichting")
_QUOTED_HERE = ("action", "actor_org", "actor_sub", "created_at", "id", "object_type", "outcome")  # NOT NULL
if set(HASHED_FIELDS) != {*_JSON_FIELDS, *_INT_FIELDS, *_QUOTED_BY_PG, *_QUOTED_HERE}:
    raise RuntimeError("app/audit/verification/copy_stream.py must learn how the new hashed field is rendered "
                       "in COPY text")
_KEYS = tuple(sorted(HASHED_FIELDS))


def _column_sql(name: str) -> str:
    if name == "created_at":
        # canonical_time's format; the coordinator checks every year has four digits (_FACTS_SQL).
        return "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    if name in _QUOTED_BY_PG:
        return f"'\"' || {name} || '\"'"
    return name


_COPY_COLUMNS = ("prev_hash", "hash", *_KEYS)
_SELECT = ("SELECT " + ", ".join(_column_sql(name) for name in _COPY_COLUMNS)
           + " FROM audit_log WHERE seq > {lo:d} AND seq <= {hi:d} ORDER BY seq")


class _CopyOptions(TypedDict):
    format: Literal["text"]
    null: str


_COPY_OPTIONS: _CopyOptions = {"format": "text", "null": "null"}
# b'%b%.0b{"action":"%b",...}': prev_hash, then the stored hash consumed without output, then the JSON.
_TEMPLATE = b"%b%.0b{" + b",".join(
    f'"{name}":'.encode() + (b'"%b"' if name in _QUOTED_HERE else b"%b") for name in _KEYS) + b"}"
_N = len(_COPY_COLUMNS)
_I_SEQ, _I_ID = _COPY_COLUMNS.index("seq"), _COPY_COLUMNS.index("id")
_I_DETAIL, _I_SUBJECTS = _COPY_COLUMNS.index("detail"), _COPY_COLUMNS.index("subject_ids")
_I_VERSION = _COPY_COLUMNS.index("convenant_version")
_I_QUOTED_BY_PG = tuple(_COPY_COLUMNS.index(name) for name in _QUOTED_BY_PG)
_I_QUOTED_HERE = tuple(_COPY_COLUMNS.index(name) for name in _QUOTED_HERE)
_NULL = b"null"

# Raw control characters (COPY leaves them as they are, JSON escapes them as \u00XX); tab and newline
# are COPY's own structure (in data COPY escapes them, as `\t` and `\n`, which JSON also does).
_RAW_CONTROL = bytes(c for c in range(32) if c not in (9, 10))
_COPY_ESCAPE = re.compile(rb"\\(.)")
_COPY_UNESCAPED = {b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_JSON_CACHE_MAX = 20_000


def _has_raw_control(data: bytes) -> bool:
    # translate() deleting them is one plain C loop; a regex scan cost more than the hashing.
    return len(data.translate(None, _RAW_CONTROL)) != len(data)


def _copy_unescape(value: bytes) -> bytes:
    if b"\\" not in value:
        return value
    return _COPY_ESCAPE.sub(lambda m: _COPY_UNESCAPED[m.group(1)], value)


def _text(raw: bytes) -> str:
    return _copy_unescape(raw).decode()


class _Float(ValueError):
    """A float in a json column: only json.dumps itself formats floats as canonical_json does."""


def _no_float(_: str) -> Any:
    raise _Float


def _canonical_json_column(raw: bytes) -> tuple[bytes | None, int]:
    """The canonical JSON of a stored json column (None: leave it to hash_chain.canonical_json), and
    its weight in the quote count of `_SegmentCheck._fast`.

    Parsed by json.loads as canonical_json's input is, but refusing floats; orjson then writes str, int,
    bool, None, list and dict exactly as json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False) does (tests/audit/test_verify.py), and refuses what it cannot write alike
    (integers beyond 64 bits, lone surrogates).
    """
    weight = raw.count(b'"') + (2 if raw.startswith(_NULL) else 0)
    if raw == _NULL:
        return b"null", weight
    try:
        value = json.loads(_copy_unescape(raw), parse_float=_no_float, parse_constant=_no_float)
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS), weight
    except (ValueError, TypeError, RecursionError, orjson.JSONEncodeError):
        return None, weight  # _Float, and anything the reference check should meet (and fail on) itself


JsonCache = dict[bytes, tuple[bytes | None, int]]


class _SegmentCheck:
    """Consumes the COPY text of one chunk, buffer by buffer, until the chunk ends or its first problem."""

    def __init__(self, lo: int, hi: int, json_cache: JsonCache) -> None:
        self.seg = Segment(lo, hi)
        self.done = False
        self._rest = b""
        self._prev: bytes | None = None  # stored hash of the last verified row
        self._expected = -1  # its seq + 1
        self._cache = json_cache

    async def feed(self, data: bytes | bytearray) -> None:
        """COPY output sink: whole lines are checked as they arrive (still in the CPU cache)."""
        if self.done:
            return  # a problem was found; the rest of the stream is drained unread
        data = bytes(data)  # bytes, not asyncpg's bytearray: the json columns are cache keys
        cut = data.rfind(b"\n") + 1
        if not cut:
            self._rest += data
            return
        # The buffer is self._rest + data[:cut], never built: split() and the counts work on the parts.
        lines = data[:cut - 1].split(b"\n")
        rest, self._rest = self._rest, data[cut:]
        if rest:
            lines[0] = rest + lines[0]
        enabled = gc.isenabled()
        gc.disable()  # only acyclic garbage is made here; collections would only cost time
        try:
            if not (self._prev is not None and self._fast(lines, rest, data, cut)):
                self._careful(lines)
        finally:
            if enabled:
                gc.enable()
        if len(self._cache) > _JSON_CACHE_MAX:
            self._cache.clear()

    def finish(self) -> Segment:
        if self._rest and not self.done:
            raise RuntimeError("COPY output ended inside a row")
        if self._prev is not None and self.seg.count:
            self.seg.last = (self._expected - 1, _text(self._prev))
        return self.seg

    def _fast(self, lines: list[bytes], rest: bytes, data: bytes, cut: int) -> bool:
        """The common case with as little work per row as possible. Returns False, having recorded
        nothing, when the buffer needs `_careful`: a broken link or gap, a quote or control character
        in a text column, a `\\v`, a json column only hash_chain can render, a hash that does not match.

        Per buffer instead of per row: seq continuity (seq is the primary key and rows come in seq
        order, so last - first = rows - 1 means no gap), and the quotes: all must be PostgreSQL's (two
        per non-NULL column it quoted) or in the json columns.
        """
        # Presence checks may look at more than the buffer (the partial row after `cut`): that can only
        # send a buffer to _careful. The counts below are exact, over rest + data[:cut].
        if (b"\\" in data or b"\\" in rest) and (b"\\v" in data or b"\\v" in rest[-1:] + data[:1] or b"\\v" in rest):
            return False  # COPY's \v is not JSON's \u000b (every other COPY escape is JSON's)
        if _has_raw_control(data) or _has_raw_control(rest):
            return False
        cache, template, sha = self._cache, _TEMPLATE, hashlib.sha256
        prev = self._prev
        quotes = 0
        f: list[bytes] = []
        for line in lines:
            f = line.split(b"\t")
            if f[0] != prev:
                return False
            raw = f[_I_DETAIL]
            detail = cache.get(raw)
            if detail is None:
                detail = cache[raw] = _canonical_json_column(raw)
            raw = f[_I_SUBJECTS]
            subjects = cache.get(raw)
            if subjects is None:
                subjects = cache[raw] = _canonical_json_column(raw)
            if detail[0] is None or subjects[0] is None:
                return False
            quotes += detail[1] + subjects[1]
            if f[_I_VERSION] == _NULL:
                quotes += 2
            f[_I_DETAIL], f[_I_SUBJECTS] = detail[0], subjects[0]
            prev = f[1]
            if sha(template % tuple(f)).hexdigest().encode() != prev:
                return False
        rows = len(lines)
        first, last = int(lines[0].split(b"\t", _I_SEQ + 1)[_I_SEQ]), int(f[_I_SEQ])
        if first != self._expected or last - first != rows - 1:
            return False
        # Every field but the first follows a tab; a field starting with `null` that is not a NULL of a
        # quoted column (counted in `quotes` for the json and int columns) can only make this fail.
        nulls = data.count(b"\tnull", 0, cut) + rest.count(b"\tnull")
        if rest:  # one `\tnull` may straddle rest and data (it cannot overlap another)
            edge = rest[-4:] + data[:4]
            nulls += edge.count(b"\tnull")
        if data.count(b'"', 0, cut) + rest.count(b'"') != quotes + 2 * (len(_QUOTED_BY_PG) * rows - nulls):
            return False
        seg = self.seg
        seg.count += rows
        seg.fast += rows
        self._prev, self._expected = prev, last + 1
        return True

    def _careful(self, lines: list[bytes]) -> None:
        """Row by row with every check, naming the first problem as the reference check would."""
        seg = self.seg
        prev, expected, count = self._prev, self._expected, seg.count
        problem: str | None = None
        f: list[bytes] = []
        seq = 0
        for line in lines:
            f = line.split(b"\t")
            if len(f) != _N:
                raise RuntimeError(f"unexpected COPY row with {len(f)} fields")
            seq = int(f[_I_SEQ])
            if seq != expected or f[0] != prev:
                if prev is not None:
                    problem = GAP if seq != expected else BAD_PREV
                    break
                seg.first = (seq, _text(f[_I_ID]), _text(f[0]))  # links to the previous chunk: at the merge
            if not self._row_ok(line, f):
                problem = CHANGED
                break
            prev, expected, count = f[1], seq + 1, count + 1
        self._prev, self._expected, seg.count = prev, expected, count
        if problem is not None:
            before = None if prev is None else _text(prev)
            seg.problem = (count, seq, _text(f[_I_ID]), problem, before)
            self.done = True

    def _row_ok(self, line: bytes, f: list[bytes]) -> bool:
        """One row through the template where it reproduces canonical_json, else through hash_chain."""
        seg = self.seg
        if b"\\" in line and (b"\\v" in line or b"\\" in f[0]):
            seg.exact += 1  # a vertical tab; or prev_hash, hashed as stored (not as JSON), is escaped
            return _exact_ok(f)
        if _has_raw_control(line):
            seg.exact += 1
            return _exact_ok(f)
        detail = _canonical_json_column(f[_I_DETAIL])[0]
        subjects = _canonical_json_column(f[_I_SUBJECTS])[0]
        if detail is None or subjects is None:
            seg.exact += 1
            return _exact_ok(f)
        g = list(f)
        g[_I_DETAIL], g[_I_SUBJECTS] = detail, subjects
        for i in _I_QUOTED_HERE:  # a quote in a text column: JSON escapes it, COPY does not
            g[i] = g[i].replace(b'"', b'\\"')
        for i in _I_QUOTED_BY_PG:
            if g[i] != _NULL:
                g[i] = b'"' + g[i][1:-1].replace(b'"', b'\\"') + b'"'
        seg.fast += 1
        if hashlib.sha256(_TEMPLATE % tuple(g)).hexdigest().encode() == f[1]:
            return True
        seg.exact += 1  # before calling it changed, ask hash_chain itself
        return _exact_ok(f)


def _exact_ok(f: list[bytes]) -> bool:
    """hash_chain.entry_hash itself, on the values the ORM would hand it, as its normalisation leaves
    them: uuids as str(uuid), created_at as canonical_time (which to_char matches for four-digit years)."""
    fields: dict[str, Any] = {}
    for name, raw in zip(_COPY_COLUMNS[2:], f[2:], strict=True):
        value: Any
        if name in _QUOTED_HERE:
            value = _text(raw)
        elif raw == _NULL:
            value = None  # SQL NULL, or JSON null in a json column: None either way
        elif name in _QUOTED_BY_PG:
            value = _text(raw[1:-1])
        elif name in _INT_FIELDS:
            value = int(raw)
        else:
            value = json.loads(_copy_unescape(raw))
        fields[name] = value
    return entry_hash(_text(f[0]), fields) == _text(f[1])


async def _verify_segment(conn: asyncpg.Connection, lo: int, hi: int, json_cache: JsonCache) -> Segment:
    check = _SegmentCheck(lo, hi, json_cache)
    # The app's engine sets a 30 s command timeout; a chunk on a loaded machine may take longer.
    await conn.copy_from_query(_SELECT.format(lo=lo, hi=hi), output=check.feed, timeout=3600, **_COPY_OPTIONS)
    return check.finish()

