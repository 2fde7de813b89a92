"""Every column of an audit entry is covered by its hash, and the hash's canonical form is pinned.

The list of hashed fields is written out here, not imported: dropping a field from the hash in the
application (so that the column could be changed unseen) makes that field's tampering test fail. One
entry, built by hand, is inserted with its hash as a literal, so that any change of the canonical form
(key order, separators, escaping, rendering of times, uuids, null, JSON) fails as well. Verification is
asked through the API (GET /v1/audit/verify): the reference check on SQLite, the COPY fast path on
PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from tests.audit_helpers import drain_staging, tamper_sql
from tests.conftest import IS_PG
from tests.world import World

HASHED_FIELDS = [
    "id", "seq", "created_at", "actor_sub", "actor_org", "actor_role", "action", "object_type", "object_id",
    "case_id", "subject_ids", "convenant_id", "convenant_version", "legal_basis", "toelichting", "outcome",
    "detail", "request_id", "client_address",
]
CHANGED = "content does not match its hash (entry was changed)"
GAP = "gap or reordering before this entry (an entry was deleted or inserted)"
OTHER_UUID = uuid.UUID("0badc0de-0000-4000-8000-00000000beef")


def _uuid_param(value: uuid.UUID) -> Any:
    return value if IS_PG else value.hex  # SQLite stores a uuid as 32 hex digits


def _text_appended(column: str) -> tuple[str, dict[str, Any]]:
    return f"UPDATE audit_log SET {column} = coalesce({column}, '') || 'x' WHERE seq = :seq", {}


def _created_at() -> tuple[str, dict[str, Any]]:
    if IS_PG:
        return "UPDATE audit_log SET created_at = created_at + interval '1 microsecond' WHERE seq = :seq", {}
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff': change the last digit of the microseconds.
    return ("UPDATE audit_log SET created_at = substr(created_at, 1, length(created_at) - 1) || "
            "CASE WHEN substr(created_at, -1) = '1' THEN '2' ELSE '1' END WHERE seq = :seq"), {}


# Field -> (statement, extra parameters): one change to that column of one stored entry, nothing else.
TAMPER: dict[str, Callable[[], tuple[str, dict[str, Any]]]] = {
    "id": lambda: ("UPDATE audit_log SET id = :v WHERE seq = :seq", {"v": _uuid_param(OTHER_UUID)}),
    # Moving the last entry away (the next entry still gets the chain head's seq + 1): seq alone changed.
    "seq": lambda: ("UPDATE audit_log SET seq = seq + 1000 WHERE seq = :seq", {}),
    "created_at": _created_at,
    "actor_sub": lambda: _text_appended("actor_sub"),
    "actor_org": lambda: _text_appended("actor_org"),
    "actor_role": lambda: _text_appended("actor_role"),
    "action": lambda: _text_appended("action"),
    "object_type": lambda: _text_appended("object_type"),
    "object_id": lambda: _text_appended("object_id"),
    "case_id": lambda: ("UPDATE audit_log SET case_id = :v WHERE seq = :seq", {"v": _uuid_param(OTHER_UUID)}),
    "subject_ids": lambda: ("UPDATE audit_log SET subject_ids = '[\"tampered\"]' WHERE seq = :seq", {}),
    "convenant_id": lambda: ("UPDATE audit_log SET convenant_id = :v WHERE seq = :seq",
                             {"v": _uuid_param(OTHER_UUID)}),
    "convenant_version": lambda: (
        "UPDATE audit_log SET convenant_version = coalesce(convenant_version, 0) + 1 WHERE seq = :seq", {}),
    "legal_basis": lambda: _text_appended("legal_basis"),
    "toelichting": lambda: _text_appended("toelichting"),
    "outcome": lambda: _text_appended("outcome"),
    "detail": lambda: ("UPDATE audit_log SET detail = '{\"tampered\": true}' WHERE seq = :seq", {}),
    "request_id": lambda: _text_appended("request_id"),
    "client_address": lambda: _text_appended("client_address"),
}


async def _sql(db_url: str, statement: str, **params: Any) -> list[Any]:
    """As a database superuser would, past the append-only triggers."""
    return await tamper_sql(db_url, statement, **params)



async def _verify(client: httpx.AsyncClient, auth: Any, db_url: str) -> dict[str, Any]:
    await drain_staging(db_url)  # what the chainer does within a second on PostgreSQL
    r = await client.get("/v1/audit/verify", headers=auth("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    return r.json()


def test_the_literal_list_is_the_one_to_test() -> None:
    assert len(HASHED_FIELDS) == len(set(HASHED_FIELDS)) == 19
    assert list(TAMPER) == HASHED_FIELDS


async def test_every_column_but_the_chain_links_is_hashed(db_url: str) -> None:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            columns = await conn.run_sync(lambda c: [col["name"] for col in inspect(c).get_columns("audit_log")])
    finally:
        await engine.dispose()
    assert set(columns) == {*HASHED_FIELDS, "prev_hash", "hash"}


async def _rich_log(client: httpx.AsyncClient, auth: Any) -> str:
    """A log whose middle holds an entry with every field filled (a transition with a toelichting), and whose
    last entry has no subjects."""
    world = await World(client, auth).setup()
    case = await world.case("ijam", participants=("politie",))
    r = await world.fire(case["id"], "opschalen", headers=world.regisseur | {
        "X-Audit-Toelichting": "Voorbereiding casusoverleg", "X-Request-ID": "req-rich"})
    assert r.status_code == 200, r.text
    for _ in range(2):
        assert (await client.get("/v1/organisations", headers=world.beheerder)).status_code == 200
    return r.headers["x-request-id"]


@pytest.mark.parametrize("field", HASHED_FIELDS)
async def test_tampering_with_one_hashed_field_is_named(
    client: httpx.AsyncClient, auth: Any, db_url: str, field: str
) -> None:
    rich = await _rich_log(client, auth)
    before = await _verify(client, auth, db_url)
    assert before["valid"] is True, before
    await drain_staging(db_url)  # the verification's own entry, so that the last entry is the newest
    if field == "seq":
        [(seq,)] = await _sql(db_url, "SELECT max(seq) FROM audit_log")
    else:
        # the transition's own entry (an escalation may bring the level owner in: a `systeem` entry beside it)
        [(seq,)] = await _sql(db_url, "SELECT seq FROM audit_log WHERE request_id = :rid "
                              "AND action = 'case:transition'", rid=rich)
    [target] = await _sql(db_url, f"SELECT {', '.join(HASHED_FIELDS)} FROM audit_log WHERE seq = :seq", seq=seq)
    if field != "seq":
        # Every field of the target holds a value, so that the change below is a change of a value.
        assert None not in tuple(target) and target.subject_ids and target.detail, target
    statement, params = TAMPER[field]()
    await _sql(db_url, statement, seq=seq, **params)
    new_seq = seq + 1000 if field == "seq" else seq
    new_id = OTHER_UUID if field == "id" else uuid.UUID(str(target.id))
    after = await _verify(client, auth, db_url)
    assert after["valid"] is False, f"{field} changed unseen"
    assert after["first_invalid_seq"] == new_seq
    assert after["first_invalid_id"] == str(new_id)
    assert after["reason"] == (GAP if field == "seq" else CHANGED)
    assert after["entries"] == seq - 1


# --- one entry pinned ------------------------------------------------------------------------------

GENESIS = "0" * 64
PINNED: dict[str, Any] = {
    "id": "5a1d6c3e-8f2b-4c71-9d0e-3b7a2f6e1c48",
    "seq": 1,
    "created_at": "2025-03-01T10:00:00.123456Z",
    "actor_sub": "regisseur-1",
    "actor_org": "zvh-mh",
    "actor_role": "procesregisseur",
    "action": "case:transition",
    "object_type": "case",
    "object_id": "8c3f1e2a-6b4d-4e5f-a1b2-c3d4e5f60718",
    "case_id": "8c3f1e2a-6b4d-4e5f-a1b2-c3d4e5f60718",
    "subject_ids": ["1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b", "9e8d7c6b-5a49-4837-a261-50f4e3d2c1b0"],
    "convenant_id": "2b4d6f80-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
    "convenant_version": 3,
    "legal_basis": "Wgs - PGA complexe casuïstiek",
    "toelichting": "Voorbereiding \"casusoverleg\" 12-3",
    "outcome": "allowed",
    "detail": {"trigger": "opschalen", "to": "netwerkoverleg", "from": "knooppunt_school", "version": 3,
               "extra": {"z": None, "é": "ü", "a": [1, True]}},
    "request_id": "req-pinned",
    "client_address": "192.0.2.10",
}
# sha256(GENESIS + canonical JSON of PINNED): computed once and pasted; it must never change.
PINNED_HASH = "288de3565384d599f1c315da39fe1617ac5f7f3dbd02eb3d0be749ececd7cff9"


def test_the_pinned_hash_is_sha256_of_prev_hash_and_canonical_json() -> None:
    canonical = json.dumps(PINNED, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical.startswith('{"action":"case:transition","actor_org":"zvh-mh",')
    assert '"legal_basis":"Wgs - PGA complexe casuïstiek"' in canonical  # UTF-8, not \\u escapes
    assert '"extra":{"a":[1,true],"z":null,"é":"ü"}' in canonical  # nested keys sorted too
    assert hashlib.sha256((GENESIS + canonical).encode("utf-8")).hexdigest() == PINNED_HASH


def _canonical_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """The hash of an entry as GET /v1/audit shows it, computed here: times as YYYY-MM-DDTHH:MM:SS.ffffffZ."""
    fields = {name: entry[name] for name in HASHED_FIELDS}
    fields["created_at"] = datetime.fromisoformat(entry["created_at"]).astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


async def test_entries_the_application_writes_hash_as_computed_here(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    """The writer's canonical form is this file's (the pinned entry pins the verifiers')."""
    await _rich_log(client, auth)
    await drain_staging(db_url)
    r = await client.get("/v1/audit", params={"limit": 200}, headers=auth("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    entries = sorted(r.json()["items"], key=lambda e: e["seq"])
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1)) and len(entries) > 10
    assert any(None not in (e[name] for name in HASHED_FIELDS) for e in entries)  # one with every field filled
    prev = GENESIS
    for entry in entries:
        assert entry["prev_hash"] == prev
        assert _canonical_hash(prev, entry) == entry["hash"], entry
        prev = entry["hash"]


def _stored(name: str, value: Any) -> Any:
    """PINNED's value as a parameter for a raw INSERT into audit_log on this database."""
    if name in ("id", "case_id", "convenant_id"):
        return _uuid_param(uuid.UUID(value))
    if name == "created_at":
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return moment if IS_PG else moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    if name in ("subject_ids", "detail"):
        return json.dumps(value)
    return value


async def _insert_pinned(db_url: str, fields: dict[str, Any], digest: str) -> None:
    columns = [*HASHED_FIELDS, "prev_hash", "hash"]
    values = {name: _stored(name, fields[name]) for name in HASHED_FIELDS} | {"prev_hash": GENESIS, "hash": digest}
    await _sql(db_url, f"INSERT INTO audit_log ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})",
               **values)
    await _sql(db_url, "UPDATE audit_chain_head SET seq = 1, hash = :h WHERE id = 1", h=digest)


async def test_an_entry_with_the_pinned_hash_verifies_and_the_log_goes_on_from_it(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    await _insert_pinned(db_url, PINNED, PINNED_HASH)
    assert await _verify(client, auth, db_url) == {
        "valid": True, "entries": 1, "head": PINNED_HASH, "first_invalid_id": None, "first_invalid_seq": None,
        "reason": None, "staged": 0, "oldest_staged_age_seconds": None, "checkpoints_checked": 0,
        "newest_checkpoint": None, "contradicted_checkpoint": None}
    # The application chains its own entries onto it (the verify request above wrote one).
    await drain_staging(db_url)
    [(prev,)] = await _sql(db_url, "SELECT prev_hash FROM audit_log WHERE seq = 2")
    assert prev == PINNED_HASH
    after = await _verify(client, auth, db_url)
    assert after["valid"] is True and after["entries"] == 2
    r = await client.get("/v1/audit", params={"action": "case:transition"}, headers=auth("zvh-mh", "auditor"))
    [shown] = r.json()["items"]
    assert {k: shown[k] for k in HASHED_FIELDS} == PINNED and shown["hash"] == PINNED_HASH


async def test_an_entry_with_the_pinned_hash_and_another_case_id_is_changed(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    await _insert_pinned(db_url, PINNED | {"case_id": str(OTHER_UUID)}, PINNED_HASH)
    after = await _verify(client, auth, db_url)
    assert (after["valid"], after["first_invalid_seq"], after["first_invalid_id"], after["reason"]) == (
        False, 1, PINNED["id"], CHANGED)
