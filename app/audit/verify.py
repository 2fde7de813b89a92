"""Verifying the audit hash chain: every entry's hash recomputed, the first broken entry named.

The result is defined by the straightforward check (`_verify_reference`, used on SQLite): rows in seq
order from seq 1, each must have the next seq, carry the previous entry's hash as `prev_hash`, and hash
to its stored `hash` with `hash_chain.entry_hash`; finally the chain head must name the last entry.

On PostgreSQL the same check runs much faster, with the same result:

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
* Every entry's hash depends only on its own columns (its stored `prev_hash` included), so the seq
  range is cut into chunks verified independently by worker processes (`python -m app.audit.verify`,
  one database connection each, all reading the snapshot exported by the caller's transaction). The
  links between chunks (seq continuity, first `prev_hash` = previous chunk's last `hash`) and the
  first problem are settled when the chunk results are merged in seq order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import math
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import orjson

from app.audit.hash_chain import GENESIS_HASH, HASHED_FIELDS, entry_hash

if TYPE_CHECKING:
    import asyncpg
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

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

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid, "entries": self.entries, "head": self.head}
        if not self.valid:
            out.update(first_invalid_id=self.first_invalid_id, first_invalid_seq=self.first_invalid_seq,
                       reason=self.reason)
        return out


# --- the reference check (SQLite, and the fallback) ----------------------------------------------

_REFERENCE_COLUMNS = ("seq", *(name for name in HASHED_FIELDS if name != "seq"), "prev_hash", "hash")


async def _stream(session: AsyncSession, batch: int = 5000) -> AsyncIterator[Any]:
    from sqlalchemy import select

    from app.audit.models import AuditEntry

    columns = [getattr(AuditEntry, name) for name in _REFERENCE_COLUMNS]
    last = 0
    while True:
        stmt = select(*columns).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq


async def _head(session: AsyncSession) -> tuple[int, str] | None:
    from sqlalchemy import select

    from app.audit.models import AuditChainHead

    head = (await session.execute(select(AuditChainHead).where(AuditChainHead.id == 1))).scalar_one_or_none()
    return None if head is None else (head.seq, head.hash)


def _head_verdict(count: int, prev: str, head: tuple[int, str] | None) -> Verification:
    if head is None or head != (count, prev):
        return Verification(False, count, prev, None, count + 1, BAD_HEAD)
    return Verification(True, count, prev)


async def _verify_reference(session: AsyncSession) -> Verification:
    """Recompute every hash in seq order through the ORM; name the first entry changed, inserted or after a gap."""
    prev, expected_seq, count = GENESIS_HASH, 1, 0
    async for row in _stream(session):
        fields = row._asdict()
        problem = None
        if row.seq != expected_seq:
            problem = GAP
        elif row.prev_hash != prev:
            problem = BAD_PREV
        elif entry_hash(prev, fields) != row.hash:
            problem = CHANGED
        if problem:
            return Verification(False, count, prev, str(row.id), row.seq, problem)
        prev, expected_seq, count = row.hash, row.seq + 1, count + 1
    return _head_verdict(count, prev, await _head(session))


# --- one chunk of the chain, from COPY text -----------------------------------------------------

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
    raise RuntimeError("app/audit/verify.py must learn how the new hashed field is rendered in COPY text")
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
_COPY_OPTIONS = {"format": "text", "null": "null"}
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


# --- merging chunk results -----------------------------------------------------------------------


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
            return Verification(False, count + done, before if done else prev, bad_id, bad_seq, reason)
        if seg.last is None:  # pragma: no cover
            raise RuntimeError("segment without rows after its first")
        count += seg.count
        expected, prev = seg.last[0] + 1, seg.last[1]
    return _head_verdict(count, prev, head)


def _chunks(max_seq: int, chunk_rows: int, max_chunks: int = 1024) -> list[tuple[int, int]]:
    if max_seq <= 0:
        return []
    n = min(max_chunks, max(1, math.ceil(max_seq / chunk_rows)))
    width = math.ceil(max_seq / n)
    return [(lo, min(lo + width, max_seq)) for lo in range(0, max_seq, width)]


# --- PostgreSQL: coordinator and workers ---------------------------------------------------------

CHUNK_ROWS = 32_768
# Below this many entries worker start-up (a few tenths of a second each) costs more than it saves.
PARALLEL_MIN_ENTRIES = 100_000

# One statement, one snapshot: the chain head, the seq range, and whether the template reproduces
# canonical_json here (a UTF-8 database; to_char and strftime agree on four-digit years).
_FACTS_SQL = """
SELECT pg_export_snapshot() AS snapshot,
       current_setting('server_encoding') = 'UTF8'
         AND coalesce((SELECT min(created_at) >= '1000-01-01 00:00:00+00'
                              AND max(created_at) < '10000-01-01 00:00:00+00' FROM audit_log), true) AS fast_path,
       (SELECT seq FROM audit_chain_head WHERE id = 1) AS head_seq,
       (SELECT hash FROM audit_chain_head WHERE id = 1) AS head_hash,
       (SELECT max(seq) FROM audit_log) AS max_seq
"""


@dataclass(frozen=True)
class _Facts:
    snapshot: str
    fast_path: bool  # False: verify with the reference check
    head: tuple[int, str] | None
    max_seq: int

    @classmethod
    def from_row(cls, row: Any) -> _Facts:
        head = None if row[2] is None else (int(row[2]), str(row[3]))
        return cls(str(row[0]), bool(row[1]), head, int(row[4] or 0))


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


async def verify_chain(session: AsyncSession, *, workers: int | None = None, chunk_rows: int = CHUNK_ROWS,
                       pool: WorkerPool | None = None) -> Verification:
    """Verify the whole chain. `workers`: processes on PostgreSQL (None: one per CPU for a large log,
    0: in this process); `pool`: processes started beforehand (see app/cli.py)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.driver != "asyncpg":
        return await _verify_reference(session)
    from sqlalchemy import text

    # Through the session, so that its transaction is open: the exported snapshot lives as long as it.
    facts = _Facts.from_row((await session.execute(text(_FACTS_SQL))).one())
    if not facts.fast_path:
        log.warning("audit verification: not a UTF-8 database, or a timestamp outside years 1000-9999; "
                    "using the reference check")
        return await _verify_reference(session)
    conn = await _driver_connection(session)
    return await _verify_postgres(conn, facts, lambda: _connect_args(session), workers, chunk_rows, pool)


async def verify_database(url: str, *, workers: int | None = None, chunk_rows: int = CHUNK_ROWS,
                          pool: WorkerPool | None = None) -> Verification | None:
    """`casusregie verify-audit` on PostgreSQL without SQLAlchemy (importing it is a second of start-up
    on a small machine). None when the URL is not a plain postgresql+asyncpg one, or the reference check
    is needed: the caller then uses verify_chain."""
    import asyncpg

    params = _asyncpg_params(url)
    if params is None:
        return None
    conn = await asyncpg.connect(**params)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            facts = _Facts.from_row(await conn.fetchrow(_FACTS_SQL))
            if not facts.fast_path:
                return None
            return await _verify_postgres(conn, facts, lambda: params, workers, chunk_rows, pool)
    finally:
        await conn.close()


def _asyncpg_params(url: str) -> dict[str, Any] | None:
    """asyncpg.connect arguments for a postgresql+asyncpg URL, as SQLAlchemy's dialect would pass them."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("postgresql+asyncpg", "postgresql", "postgres") or "," in parts.netloc:
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    params: dict[str, Any] = dict(query)
    if len(params) != len(query):
        return None  # repeated keys: leave them to SQLAlchemy
    for key in _SQLALCHEMY_ONLY:
        params.pop(key, None)
    for key, value in (("user", parts.username), ("password", parts.password), ("host", parts.hostname),
                       ("port", parts.port), ("database", parts.path.lstrip("/"))):
        if value not in (None, ""):
            params[key] = unquote(value) if isinstance(value, str) else value
    return params


_SQLALCHEMY_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn")


def _connect_args(session: AsyncSession) -> dict[str, Any]:
    engine = session.get_bind()
    _, params = engine.dialect.create_connect_args(engine.url)
    for key in _SQLALCHEMY_ONLY:
        params.pop(key, None)
    return params


async def _driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, in the transaction the facts were read in."""
    raw = await (await session.connection()).get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


async def _verify_postgres(conn: asyncpg.Connection, facts: _Facts, connect: Callable[[], dict[str, Any]],
                           workers: int | None, chunk_rows: int, pool: WorkerPool | None) -> Verification:
    chunks = _chunks(facts.max_seq, chunk_rows)
    if workers is None:
        workers = (pool.size if pool else default_workers()) if facts.max_seq >= PARALLEL_MIN_ENTRIES else 0
    workers = min(workers, len(chunks))
    segments: list[Segment] | None = None
    try:
        if workers > 0:
            try:
                pool = pool or await WorkerPool.start(workers)
                segments = await pool.run(connect(), facts.snapshot, chunks, workers)
            except _WorkerUnavailable as exc:
                log.warning("audit verification: worker processes unavailable (%s); verifying in this process",
                            exc)
    finally:
        if pool is not None:
            await pool.close()
    if segments is None:
        segments = await _in_order(chunks, lambda lo, hi, cache: _verify_segment(conn, lo, hi, cache))
    return _merge(segments, facts.head)


async def _in_order(chunks: Sequence[tuple[int, int]],
                    verify: Callable[[int, int, JsonCache], Awaitable[Segment]]) -> list[Segment]:
    cache: JsonCache = {}
    out: list[Segment] = []
    for lo, hi in chunks:
        seg = await verify(lo, hi, cache)
        out.append(seg)
        if seg.problem is not None:
            break  # later chunks cannot change the verdict
    return out


class _WorkerUnavailable(RuntimeError):
    """A worker process could not be started or connected: verify in process instead."""


class _WorkerFailed(RuntimeError):
    """A worker process failed while verifying."""


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise _WorkerFailed(f"audit verification worker exited ({await self.proc.wait()})")
        return json.loads(line)

    async def close(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        await self.proc.wait()


class WorkerPool:
    """Worker processes (`python -m app.audit.verify`), started before they are needed if the caller
    likes: they import while the caller connects. Each serves one verification, then is closed."""

    def __init__(self, workers: list[_Worker]) -> None:
        self._workers = workers
        self.size = len(workers)

    @classmethod
    async def start(cls, n: int) -> WorkerPool:
        workers: list[_Worker] = []
        try:
            for _ in range(n):
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "app.audit.verify", stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE, limit=2**20)
                workers.append(_Worker(proc))
        except OSError as exc:
            await asyncio.gather(*(w.close() for w in workers))
            raise _WorkerUnavailable(str(exc)) from exc
        return cls(workers)

    async def run(self, connect: dict[str, Any], snapshot: str, chunks: Sequence[tuple[int, int]],
                  n: int) -> list[Segment]:
        ready = await asyncio.gather(*(self._connect(w, connect, snapshot) for w in self._workers[:n]),
                                     return_exceptions=True)
        workers = [w for w, ok in zip(self._workers, ready, strict=False) if ok is True]
        if not workers:
            raise _WorkerUnavailable(str(next(e for e in ready if e is not True)))
        return await _dispatch(workers, chunks)

    @staticmethod
    async def _connect(worker: _Worker, connect: dict[str, Any], snapshot: str) -> bool:
        try:
            await worker.send({"connect": connect, "snapshot": snapshot})  # credentials via a pipe, not argv
            reply = await worker.receive()
        except (_WorkerFailed, OSError, ValueError) as exc:
            raise _WorkerUnavailable(str(exc)) from exc
        if "error" in reply:
            raise _WorkerUnavailable(reply["error"])
        return True

    async def close(self) -> None:
        await asyncio.gather(*(w.close() for w in self._workers))


async def _dispatch(workers: Sequence[_Worker], chunks: Sequence[tuple[int, int]]) -> list[Segment]:
    """Hand chunks out in seq order, two in flight per worker; none past a chunk that found a problem."""
    todo = list(reversed(chunks))
    results: list[Segment] = []
    stop_after: list[int] = []  # lo of the earliest chunk with a problem

    async def run(worker: _Worker) -> None:
        in_flight = 0
        while True:
            while in_flight < 2 and todo and not (stop_after and todo[-1][0] > stop_after[0]):
                lo, hi = todo.pop()
                await worker.send({"lo": lo, "hi": hi})
                in_flight += 1
            if not in_flight:
                return
            reply = await worker.receive()
            in_flight -= 1
            if "error" in reply:
                raise _WorkerFailed(reply["error"])
            seg = Segment.from_json(reply["segment"])
            results.append(seg)
            if seg.problem is not None and (not stop_after or seg.lo < stop_after[0]):
                stop_after[:] = [seg.lo]

    await asyncio.gather(*(run(w) for w in workers))
    return results


async def _worker_main() -> int:
    """`python -m app.audit.verify`: one JSON line of settings, then one line per chunk, one result line each."""
    import asyncpg

    gc.disable()  # a short-lived process making only acyclic garbage
    reader = asyncio.StreamReader(limit=2**20)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer

    def reply(message: dict[str, Any]) -> None:
        out.write(json.dumps(message).encode() + b"\n")
        out.flush()

    first = await reader.readline()
    if not first:
        return 0  # started ahead and not needed after all
    settings = json.loads(first)
    try:
        conn = await asyncpg.connect(**settings["connect"])
        # The same snapshot as the coordinator's transaction: one consistent state of the log.
        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        await conn.execute(f"SET TRANSACTION SNAPSHOT '{_snapshot_id(settings['snapshot'])}'")
    except Exception as exc:
        reply({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    reply({"ready": True})
    cache: JsonCache = {}
    try:
        while line := await reader.readline():
            chunk = json.loads(line)
            try:
                seg = await _verify_segment(conn, int(chunk["lo"]), int(chunk["hi"]), cache)
            except Exception as exc:
                reply({"error": f"{type(exc).__name__}: {exc}"})
                return 1
            reply({"segment": seg.as_json()})
    finally:
        with contextlib.suppress(Exception):
            await conn.close(timeout=5)
    return 0


def _snapshot_id(value: str) -> str:
    if not re.fullmatch(r"[0-9A-Fa-f-]+", value):
        raise ValueError("unexpected snapshot id")
    return value


if __name__ == "__main__":
    sys.exit(asyncio.run(_worker_main()))
