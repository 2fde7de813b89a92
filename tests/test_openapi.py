"""The committed contract equals what the app serves; regenerate with `casusregie openapi`."""

from __future__ import annotations

import json

from app.cli import OPENAPI_PATH, openapi_document


def test_committed_openapi_matches_the_app() -> None:
    committed = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert committed == openapi_document(), "openapi/openapi.json is stale: run `casusregie openapi`"
