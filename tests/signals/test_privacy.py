"""The plain BSN is nowhere: not in any table, any response, any log line. Only its keyed hash is kept."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from app.config import DEV_BSN_HASH_KEY
from app.logs import JsonFormatter
from app.subjects.identity import bsn_hash
from tests.signals.conftest import VALID_BSN, dump_database, new_key, person, post_signal, signal_body
from tests.world import World


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
    database = await dump_database(db_url)
    assert VALID_BSN not in database
    assert bsn_hash(VALID_BSN, DEV_BSN_HASH_KEY) in database  # what is kept instead
    plain = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(plain.encode()).hexdigest() not in database  # no brute-forceable body hash either
    # The capture saw the statements' parameters (the keyed hash among them), so it would have seen the BSN.
    assert any(bsn_hash(VALID_BSN, DEV_BSN_HASH_KEY) in line for line in every_log_line)
    assert not [line for line in every_log_line if VALID_BSN in line]
