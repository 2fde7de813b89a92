"""The plain BSN is nowhere: not in any table, any response, any log line. Only its keyed hash is kept."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.kit.logs import JsonFormatter
from tests.conftest import make_settings
from tests.signals.conftest import VALID_BSN, dump_database, new_key, person, post_signal, signal_body
from tests.world import World

# A key of this test's own, not the development default: what is stored must be keyed with the configured key.
BSN_KEY = "privacy-test-key-7f3a9c2e"
# Computed here, not with the code under test: HMAC-SHA256(key, bsn), and the unkeyed digest that anyone
# could compute for each of the ~10^8 valid BSNs.
KEYED = hmac.new(BSN_KEY.encode("utf-8"), VALID_BSN.encode("ascii"), hashlib.sha256).hexdigest()
UNKEYED = hashlib.sha256(VALID_BSN.encode("ascii")).hexdigest()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url, bsn_hash_key=BSN_KEY)


async def _stored_identity(db_url: str) -> set[tuple[str | None, str | None]]:
    """(bsn_hash, match_key) of every subject row that has a BSN hash."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT bsn_hash, match_key FROM subject WHERE bsn_hash IS NOT NULL")))
            return {(r[0], r[1]) for r in rows.all()}
    finally:
        await engine.dispose()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line(app: object) -> Iterator[list[str]]:
    """Everything logged, down to DEBUG (SQLAlchemy's statements, parameters and rows included)."""
    root, engine_log = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    handler, levels = _Lines(), (root.level, engine_log.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    engine_log.setLevel(logging.DEBUG)  # SQLAlchemy keeps its loggers at WARNING unless told otherwise
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        engine_log.setLevel(levels[1])


def _text(r: httpx.Response) -> str:
    return r.text + "\n" + "\n".join(f"{k}: {v}" for k, v in r.headers.items())


async def test_plain_bsn_is_in_no_table_response_or_log(world: World, db_url: str, every_log_line: list[str]) -> None:
    melder = world.h("politie", "melder")
    body = signal_body(case_type_hint="ex_gedetineerde", category="justitie", subject=person())
    seen: list[httpx.Response] = []
    key = new_key()
    seen.append(await post_signal(world.client, melder, body, key=key))
    seen.append(await post_signal(world.client, melder, body, key=key))  # replay
    seen.append(await post_signal(world.client, melder, body | {"description": "anders"}, key=key))  # 422
    seen.append(await post_signal(world.client, world.regisseur, body | {"subject": person(f" {VALID_BSN} ")}))
    seen.append(await world.client.post("/v1/signals:batch", headers=melder, json={"items": [
        body | {"idempotency_key": new_key()}, body | {"idempotency_key": new_key(), "category": "geheim"}]}))
    signal_id = seen[0].json()["id"]
    seen.append(await world.client.get(f"/v1/signals/{signal_id}", headers=world.regisseur))
    seen.append(await world.client.get(f"/v1/signals/{signal_id}", headers=melder))
    seen.append(await world.client.get("/v1/signals", headers=world.regisseur))
    seen.append(await world.client.post(f"/v1/signals/{signal_id}/triage", headers=world.regisseur, json={
        "decision": "nieuwe_casus", "case_type": "ex_gedetineerde", "reason": "bekende van beide partners"}))
    case_id = seen[-1].json()["case_id"]
    seen.append(await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur))
    seen.append(await world.client.get("/v1/audit", params={"limit": 200}, headers=world.h("zvh-mh", "auditor")))
    assert [r.status_code for r in seen] == [201, 201, 422, 201, 200, 200, 200, 200, 200, 200, 200]
    # The second report on the same BSN matched the first: the keyed hash did its work.
    assert [m["id"] for m in seen[3].json()["matches"]] == [signal_id]

    for r in seen:
        assert VALID_BSN not in _text(r), r.request.url
        assert UNKEYED not in _text(r) and KEYED not in _text(r), r.request.url
    # What is kept instead of the BSN: exactly the HMAC under the configured key, as hash and as matching key.
    assert await _stored_identity(db_url) == {(KEYED, f"bsn:{KEYED}")}
    database = await dump_database(db_url)
    assert VALID_BSN not in database
    assert UNKEYED not in database  # no unkeyed digest of the BSN, which a table of all BSNs would reverse
    plain = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(plain.encode()).hexdigest() not in database  # no brute-forceable body hash either
    # The capture saw the statements' parameters (the keyed hash among them), so it would have seen the BSN.
    assert any(KEYED in line for line in every_log_line)
    assert not [line for line in every_log_line if VALID_BSN in line or UNKEYED in line]
