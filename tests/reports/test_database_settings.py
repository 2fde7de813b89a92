"""The service's PostgreSQL connections run without JIT: the report's statements over a million history rows
spent more time compiling than executing with it (app/kit/database.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.kit.database import create_engine
from tests.conftest import IS_PG, make_settings

pytestmark = pytest.mark.skipif(not IS_PG, reason="a PostgreSQL setting")


async def test_connections_have_jit_off(db_url: str) -> None:
    engine = create_engine(make_settings(db_url))
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SHOW jit"))).scalar_one() == "off"
    finally:
        await engine.dispose()
