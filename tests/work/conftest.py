from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.world import World


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()
