"""Human case references like JG-2025-0001: per case type and year, unique under concurrency.

One atomic upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) on both databases: two requests can
never receive the same number, and no gap-free guarantee is promised (a rolled-back case skips one).
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import CaseReferenceCounter
from app.kit.database import table_of

PREFIXES = {
    "jeugdgroep": "JG",
    "woonoverlast": "WO",
    "ex_gedetineerde": "EX",
    "radicalisering": "RA",
    "ijam": "IJ",
}


async def next_reference(session: AsyncSession, case_type: str, year: int) -> str:
    prefix = PREFIXES[case_type]
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    table = table_of(CaseReferenceCounter)
    stmt = (
        insert(table)
        .values(prefix=prefix, year=year, last=1)
        .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    number = (await session.execute(stmt)).scalar_one()
    return f"{prefix}-{year}-{number:04d}"
