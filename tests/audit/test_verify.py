"""The fast audit verification (app/audit/verification/) reaches the reference check's verdict, word for word.

On PostgreSQL the log is read with COPY, hashed through a byte template, cut into chunks and checked by
worker processes; every test here compares that verdict with the reference check's on the same database,
with chunks small enough that tampering lands inside later chunks and on their boundaries.

SQLite has no fast path: there `verify_chain` is the reference check, so a comparison could not fail and
none is made (`_verdict`). On SQLite these tests check the reference check's own verdict against what
they expect (valid or not, the first invalid seq, the reason); only PostgreSQL tests the fast path.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from app.audit import record as audit
from app.audit import verification as verify
from app.audit.hash_chain import GENESIS_HASH, HASHED_FIELDS, canonical_json
from app.audit.models import AuditEntry
from app.audit.verification import connection, copy_stream, result
from app.audit.verification.reference import _verify_reference
from app.auth.principal import Principal
from app.kit.database import Database
from app.kit.request_context import RequestContext, reset_context, set_context
from app.unit_of_work import unit_of_work
from tests.audit_helpers import drain_staging, tamper_sql
from tests.conftest import IS_PG, make_settings

# Every way a text can be rendered differently by COPY and by JSON, and the look-alikes of NULL.
ODD_TEXTS = [
    "gewoon", "é ü ß 中文 😀", "quote \" in it", "\"", "back\\slash", "\\N", "\\", "ends with \\",
    "line\nbreak", "tab\there", "cr\rhere", "\b\f", "vertical\vtab", "ctrl \x01\x1f", "del \x7f",
    "null", "NULL", "nullable-user", "u2028 \u2028 u2029 \u2029", "\ufeffbom", "", " ", "a\\\"b",
]
ODD_DETAILS: list[Any] = [
    None, {}, [], {"b": 1, "a": [1, 2, {"z": None, "y": True, "x": False}]}, {"é": "ü", "e": "u", "😀": "x"},
    {"nested": {"deeper": {"deepest": ["\x00 nul", "\n", "\"", "\\", "\u2028"]}}},
    {"int": 2**63, "neg": -(2**63), "big": 2**70, "zero": 0}, {"float": 0.5, "tiny": 1e-7, "huge": 1e300},
    {"null": "null", "\\N": "\\N", "tab\tkey": "v"}, "just a string", 12, True, [None],
    {"case_ids": [str(uuid.UUID(int=i)) for i in range(51)]}, {"k" * 300: "v" * 3000},
]
PRINCIPAL = Principal(sub="tester", org="zvh-mh", roles=("procesregisseur",))


def _entry(i: int) -> dict[str, Any]:
    odd = ODD_TEXTS[i % len(ODD_TEXTS)]
    return {
        "principal": Principal(sub=odd or "x", org="zvh-mh", roles=("procesregisseur", odd) if i % 3 else ()),
        "action": f"case:{['read', 'transition', 'list'][i % 3]}",
        "object_type": "case",
        "object_id": None if i % 4 == 0 else odd,
        "outcome": "denied" if i % 7 == 0 else "allowed",
        "case_id": None if i % 5 == 0 else uuid.UUID(int=i + 1),
        "subject_ids": [] if i % 2 else [odd, f"s-{i}"],
        "legal_basis": None if i % 6 == 0 else audit.LegalBasis(uuid.UUID(int=7), i % 3, odd),
        "detail": ODD_DETAILS[i % len(ODD_DETAILS)],
        "context": RequestContext(request_id=f"r{i}", client_address=None if i % 2 else odd,
                                  toelichting=None if i % 3 == 0 else odd),
    }


def _storable(i: int) -> bool:
    # PostgreSQL text and json cannot hold NUL; SQLite can, and the reference check reads it as stored.
    e = _entry(i)
    return not IS_PG or "\x00" not in json.dumps(e["detail"])


async def _write_log(db_url: str, n: int) -> list[int]:
    """n entries through the real writer (audit.record + flush_pending), a few per unit of work."""
    db = Database(make_settings(db_url))
    written: list[int] = []
    try:
        i = 0
        while len(written) < n:
            async with unit_of_work(db) as session:
                for _ in range(5):
                    if len(written) == n:
                        break
                    if _storable(i):
                        e = _entry(i)
                        token = set_context(e["context"])
                        try:
                            audit.record(session, e["principal"], e["action"], object_type=e["object_type"],
                                         object_id=e["object_id"], outcome=e["outcome"], case_id=e["case_id"],
                                         subject_ids=e["subject_ids"], legal_basis=e["legal_basis"],
                                         detail=e["detail"])
                        finally:
                            reset_context(token)
                        written.append(i)
                    i += 1
    finally:
        await db.dispose()
    await drain_staging(db_url)  # the chainer's part, on PostgreSQL
    return written


async def _sql(db_url: str, statement: str, **params: Any) -> None:
    """As a database superuser would, past the append-only triggers."""
    await tamper_sql(db_url, statement, **params)



async def _verdict(db_url: str, **kw: Any) -> dict[str, Any]:
    """verify_chain's verdict; on PostgreSQL also asserted equal, word for word, to the reference check's.

    On SQLite verify_chain runs the reference check itself: there is nothing to compare it with.
    """
    db = Database(make_settings(db_url))
    try:
        async with db.sessionmaker() as session:
            fast = (await verify.verify_chain(session, **kw)).as_dict()
        if IS_PG:
            async with db.sessionmaker() as session:
                reference = (await _verify_reference(session)).as_dict()
            assert fast == reference
    finally:
        await db.dispose()
    return fast


@pytest.fixture
def one_line_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand COPY output to the checker one line per buffer, so that every row after a chunk's first goes
    through the per-buffer fast path (a small log otherwise arrives in one buffer: the careful path)."""
    feed = copy_stream._SegmentCheck.feed

    async def by_line(self: copy_stream._SegmentCheck, data: bytes | bytearray) -> None:
        for line in bytes(data).splitlines(keepends=True):
            await feed(self, line)

    monkeypatch.setattr(copy_stream._SegmentCheck, "feed", by_line)


# PostgreSQL: in process, in process through the per-buffer fast path, and through two worker processes.
# SQLite: the reference check, once (workers, chunks and buffers are the fast path's).
MODES = [pytest.param({"workers": 0}, id="in-process" if IS_PG else "reference")]
if IS_PG:
    MODES += [pytest.param({"workers": 0, "buffers": "one line"}, id="in-process-fast-path"),
              pytest.param({"workers": 2}, id="two-workers")]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    kw = dict(request.param)
    if kw.pop("buffers", None):
        request.getfixturevalue("one_line_buffers")
    yield kw | {"chunk_rows": 8}


@pytest.fixture
async def log60(db_url: str) -> AsyncIterator[str]:
    await _write_log(db_url, 60)
    yield db_url


async def test_odd_values_verify_as_written(log60: str, mode: dict[str, Any]) -> None:
    fast = await _verdict(log60, **mode)
    assert fast["valid"] is True and fast["entries"] == 60


def _delete(seq: int) -> list[str]:
    return [f"DELETE FROM audit_log_subject WHERE seq = {seq}", f"DELETE FROM audit_log WHERE seq = {seq}"]


def _flip(column: str) -> str:
    """The stored hex with its first digit changed."""
    return f"CASE WHEN substr({column}, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr({column}, 2)"


TAMPERING: dict[str, tuple[list[str], int | None, str | None]] = {
    # name: (statements, first invalid seq or None for still valid, reason); chunks are (0, 8], (8, 16], ...
    "changed in the middle of a later chunk": (["UPDATE audit_log SET actor_sub = 'tampered' WHERE seq = 29"], 29,
                                               verify.CHANGED),
    "changed first entry of a chunk": (["UPDATE audit_log SET outcome = outcome || 'x' WHERE seq = 25"], 25,
                                       verify.CHANGED),
    "changed last entry of a chunk": (["UPDATE audit_log SET actor_org = 'tampered' WHERE seq = 24"], 24,
                                      verify.CHANGED),
    "json changed in layout only": (["UPDATE audit_log SET subject_ids = '[ ]' WHERE seq = (SELECT min(seq) "
                                     "FROM audit_log WHERE seq >= 41 AND CAST(subject_ids AS TEXT) = '[]')"],
                                    None, None),
    "deleted first entry of a chunk": (_delete(25), 26, verify.GAP),
    "deleted last entry of a chunk": (_delete(24), 25, verify.GAP),
    "prev_hash broken at a boundary": ([f"UPDATE audit_log SET prev_hash = {_flip('prev_hash')} WHERE seq = 33"], 33,
                                       verify.BAD_PREV),
    "stored hash changed at a boundary": ([f"UPDATE audit_log SET hash = {_flip('hash')} WHERE seq = 32"], 32,
                                          verify.CHANGED),
    "a gap before a later change": (["UPDATE audit_log SET action = 'x' WHERE seq = 50", *_delete(20)], 21,
                                    verify.GAP),
    "tail removed": (_delete(60), 60, verify.BAD_HEAD),
    "last entry moved far away": (["DELETE FROM audit_log_subject WHERE seq = 60",
                                   "UPDATE audit_log SET seq = 1000000000000 WHERE seq = 60"], 1000000000000,
                                  verify.GAP),
    "quote in a text column": (["UPDATE audit_log SET legal_basis = 'a \"b\" c' WHERE seq = 17"], 17,
                               verify.CHANGED),
    "raw control character": ([f"UPDATE audit_log SET toelichting = 'a' || {'chr' if IS_PG else 'char'}(1) "
                               "WHERE seq = 18"], 18, verify.CHANGED),
}


@pytest.mark.parametrize("case", list(TAMPERING))
async def test_tampering_is_named_as_the_reference_names_it(log60: str, mode: dict[str, Any], case: str) -> None:
    statements, seq, reason = TAMPERING[case]
    for statement in statements:
        await _sql(log60, statement)
    fast = await _verdict(log60, **mode)
    if seq is None:
        assert fast["valid"] is True
    else:
        assert fast["valid"] is False and fast["first_invalid_seq"] == seq and fast["reason"] == reason


async def test_fast_path_takes_all_but_what_only_json_dumps_can_render(log60: str, one_line_buffers: None) -> None:
    if not IS_PG:
        pytest.skip("COPY is PostgreSQL's")
    db = Database(make_settings(log60))
    try:
        async with db.sessionmaker() as session:
            conn = await connection._driver_connection(session)
            seg = await copy_stream._verify_segment(conn, 0, 60, {})
    finally:
        await db.dispose()
    # Only raw control characters (COPY leaves them, JSON writes \u00XX), `\v`, floats and integers
    # beyond 64 bits need hash_chain itself; quotes, backslashes, newlines and NULL look-alikes do not.
    needs_exact = set()
    for i in await _indices(log60):
        e = _entry(i)
        texts = [e["principal"].sub, *e["principal"].roles, e["object_id"], *e["subject_ids"],
                 e["legal_basis"].text if e["legal_basis"] else None, e["context"].client_address,
                 e["context"].toelichting]
        raw_control = any(t and any(ord(c) < 32 and c not in "\t\n\r\b\f" for c in t) for t in texts)
        numbers = json.dumps(e["detail"])
        if raw_control or "float" in numbers or "big" in numbers:
            needs_exact.add(i)
    assert seg.problem is None and seg.count == 60
    assert seg.exact == len(needs_exact) and seg.fast >= 60 - len(needs_exact)


async def _indices(db_url: str) -> list[int]:
    db = Database(make_settings(db_url))
    try:
        async with db.sessionmaker() as session:
            ids = [r for (r,) in (await session.execute(text("SELECT request_id FROM audit_log ORDER BY seq")))]
    finally:
        await db.dispose()
    return [int(r[1:]) for r in ids]


async def test_many_chunks_and_workers_on_a_longer_log(db_url: str) -> None:
    await _write_log(db_url, 300)
    kw: dict[str, Any] = {"workers": 2 if IS_PG else 0, "chunk_rows": 16}
    fast = await _verdict(db_url, **kw)
    assert fast["valid"] is True and fast["entries"] == 300
    await _sql(db_url, "UPDATE audit_log SET toelichting = 'later' WHERE seq = 290")
    await _sql(db_url, "UPDATE audit_log SET toelichting = 'earlier' WHERE seq = 161")
    fast = await _verdict(db_url, **kw)
    assert fast["first_invalid_seq"] == 161 and fast["entries"] == 160


async def test_empty_log_and_missing_head(db_url: str, mode: dict[str, Any]) -> None:
    fast = await _verdict(db_url, **mode)
    assert fast["valid"] is True and fast["entries"] == 0
    await _sql(db_url, "DELETE FROM audit_chain_head")
    fast = await _verdict(db_url, **mode)
    assert fast["valid"] is False and fast["reason"] == verify.BAD_HEAD


# --- the pieces -----------------------------------------------------------------------------------


def _json_dumps_canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


WITHOUT_FLOATS_OR_BIG_INTS = [d for d in ODD_DETAILS if "float" not in str(d) and "big" not in str(d)]


@pytest.mark.parametrize("value", [*ODD_TEXTS, *WITHOUT_FLOATS_OR_BIG_INTS,
                                   {chr(c): chr(c) for c in range(0, 0x3000, 7)},
                                   [chr(c) * 3 for c in (*range(0x20), 0x7F, 0x80, 0x9F, 0xA0, 0xFFFD, 0x10FFFF)],
                                   {"\U0001f600": 1, "\uffff": 2, "\ue000": 3, "z": 4, "Z": 5, "": 6},
                                   2**64 - 1, -(2**63), None, True, False])
def test_orjson_writes_what_json_dumps_writes(value: Any) -> None:
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == _json_dumps_canonical(value)


def test_orjson_every_code_point_in_strings_and_keys() -> None:
    for start in range(0, 0x110000, 0x800):
        chars = [chr(c) for c in range(start, start + 0x800) if not 0xD800 <= c < 0xE000]
        value = {c: c + "x" + c for c in chars}
        assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == _json_dumps_canonical(value)


@pytest.mark.parametrize("value", ODD_DETAILS)
def test_json_column_rendering_is_canonical_or_refused(value: Any) -> None:
    stored = json.dumps(value).encode()  # as SQLAlchemy's JSON type stores it
    out, _ = copy_stream._canonical_json_column(stored.replace(b"\\", b"\\\\"))  # COPY text doubles backslashes
    if "float" in str(value) or "big" in str(value):
        assert out is None  # orjson writes some floats differently, and no integer beyond 64 bits
    else:
        assert out == _json_dumps_canonical(json.loads(stored))


def test_template_is_canonical_json() -> None:
    fields = {name: f"v-{name}" for name in HASHED_FIELDS} | {"seq": 7, "convenant_version": None,
                                                              "detail": {"b": [1], "a": None}, "subject_ids": []}
    row = []
    for name in copy_stream._COPY_COLUMNS:
        if name in ("prev_hash", "hash"):
            row.append(b"p" * 64 if name == "prev_hash" else b"")
        elif name in copy_stream._QUOTED_BY_PG:
            row.append(b'"' + fields[name].encode() + b'"')
        elif name in copy_stream._JSON_FIELDS:
            row.append(_json_dumps_canonical(fields[name]))
        else:
            row.append(b"null" if fields[name] is None else str(fields[name]).encode())
    assert copy_stream._TEMPLATE % tuple(row) == b"p" * 64 + canonical_json(fields).encode()


def test_columns_quoted_by_postgresql_are_the_nullable_ones() -> None:
    columns = AuditEntry.__table__.c
    assert {n for n in copy_stream._QUOTED_BY_PG} == {n for n in HASHED_FIELDS if columns[n].nullable
                                                       and n not in copy_stream._JSON_FIELDS + copy_stream._INT_FIELDS}
    assert all(not columns[n].nullable for n in copy_stream._QUOTED_HERE)


def test_chunks_cover_the_range_once() -> None:
    for max_seq, rows in ((0, 8), (1, 8), (8, 8), (9, 8), (1_000_000, 32_768), (10**12, 8)):
        chunks = result._chunks(max_seq, rows)
        assert len(chunks) <= 1024
        if max_seq:
            assert chunks[0][0] == 0 and chunks[-1][1] == max_seq
            assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(chunks))
        else:
            assert chunks == []


def test_merge_names_the_first_problem_in_seq_order() -> None:
    g = GENESIS_HASH
    a = verify.Segment(0, 2, count=2, first=(1, "id1", g), last=(2, "h2"))
    b = verify.Segment(2, 4, count=1, first=(3, "id3", "h2"), problem=(1, 4, "id4", verify.CHANGED, "h3"))
    c = verify.Segment(4, 6, count=0, first=(6, "id6", "zz"), problem=(0, 6, "id6", verify.CHANGED, None))
    out = result._merge([c, b, a], (6, "h6"))
    assert out == verify.Verification(False, 3, "h3", "id4", 4, verify.CHANGED)
    b.problem, b.count, b.last = None, 2, (4, "h4")
    assert result._merge([c, b, a], (6, "h6")) == verify.Verification(False, 4, "h4", "id6", 6, verify.GAP)


def test_created_at_as_to_char_writes_it_is_canonical_time() -> None:
    from app.audit.hash_chain import canonical_time

    for value in (datetime(2026, 1, 1, tzinfo=UTC), datetime(1000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
                  datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)):
        assert canonical_time(value) == value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert len(canonical_time(value)) == 27  # what to_char(..., 'YYYY-...US"Z"') gives for these years
