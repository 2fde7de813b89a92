from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.world import World

# Detailed assertion messages from the shared ladder checks too.
pytest.register_assert_rewrite("tests.cases.ladder_kit")


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()
