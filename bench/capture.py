"""What the app sends for one transition on PostgreSQL, captured, held against raw baseline R1.

R1 (bench/raw.py) is meant to send the app's statements; the app's statements change. So each run captures
them (SQLAlchemy `before_cursor_execute` on an in-process app on the benchmark database, after one warm-up
transition, as tests/cases/test_round_trips.py counts them) and records whether R1 still sends the same
sequence, each statement reduced to its verb and tables ("SELECT casus FOR UPDATE", "UPDATE casus +
INSERT casus_transition + INSERT audit_staging" for one statement with data-modifying CTEs).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench import raw
from bench.seed import Tokens

_WRITE = re.compile(r"(?<!FOR )\b(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)")


def describe(sql: str) -> str:
    """A statement as its verb and tables: reads by their first table, writes in the order they appear."""
    text = " ".join(sql.split())
    head = text.split(" ", 1)[0].upper()
    writes = [f"{verb.split()[0]} {table}" for verb, table in _WRITE.findall(text)]
    if head == "SELECT" and not writes:
        locked = re.search(r"\bFOR UPDATE OF\s+\"?(\w+)", text)  # the locked table, not a subquery's
        table = locked or re.search(r"\bFROM\s+\"?(\w+)", text)
        lock = " FOR UPDATE" if re.search(r"\bFOR UPDATE\b", text) else ""
        return f"SELECT {table.group(1) if table else '?'}{lock}"
    return " + ".join(writes) if writes else head


R1_STATEMENTS = [describe(s) for s in (raw.LOCK_CASE, raw.SELECT_CASE_WITH_FACTS, raw.FUSED_WRITE)]


async def app_transition_statements(database_url: str, checkpoint_dir: Path, case_id: str,
                                    state: str) -> dict[str, Any]:
    """The statements of one IJAM transition through an in-process app (its ledger stands by while a server
    chains), against R1's."""
    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(env="development", database_url=database_url, log_level="WARNING",
                              audit_checkpoint_dir=checkpoint_dir))
    headers = Tokens().headers("zvh-mh", "procesregisseur", sub="bench-regisseur")
    sent: list[str] = []
    states = {"now": state}

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:

        async def fire() -> None:
            trigger = "opschalen" if states["now"] == "knooppunt_school" else "afschalen"
            resp = await client.post(f"/v1/cases/{case_id}/transitions", headers=headers | {"If-Match": "*"},
                                     json={"trigger": trigger, "reason": "statement capture", "data": {}})
            if resp.status_code != 200:
                raise RuntimeError(f"capture transition: {resp.status_code} {resp.text[:300]}")
            states["now"] = resp.json()["state"]

        await fire()  # warm-up: caches
        engine = app.state.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", capture)
        try:
            await fire()
        finally:
            event.remove(engine, "before_cursor_execute", capture)
    app_statements = [describe(s) for s in sent]
    return {"app": app_statements, "r1": R1_STATEMENTS, "r1_mirrors_app": app_statements == R1_STATEMENTS}
