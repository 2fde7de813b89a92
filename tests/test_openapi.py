"""The committed contract equals what the app serves; regenerate with `casusregie openapi`."""

from __future__ import annotations

import json

from app.cli import OPENAPI_PATH, openapi_document


def test_committed_openapi_matches_the_app() -> None:
    committed = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert committed == openapi_document(), "openapi/openapi.json is stale: run `casusregie openapi`"


def test_no_two_schemas_share_a_name() -> None:
    # Two models of one name in different modules get module-path names (app__cases__…): a generated client's
    # types would carry them, and the Logius rules refuse them. Caught here, before the lint in CI.
    names = openapi_document()["components"]["schemas"]
    assert [n for n in names if "__" in n or not n[:1].isupper()] == []
