"""Events tests: webhooks may go to 127.0.0.1 (CASUSREGIE_WEBHOOK_ALLOW as an operator sets it: a comma
list), and a receiver runs inside the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.conftest import make_settings
from tests.events.receiver import Receiver
from tests.world import World


@pytest.fixture
def settings(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CASUSREGIE_WEBHOOK_ALLOW", "127.0.0.1, ::1")
    monkeypatch.setenv("CASUSREGIE_EVENT_SOURCE", "urn:nl:zvh:test-maastricht")
    return make_settings(db_url)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.stop()


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()
