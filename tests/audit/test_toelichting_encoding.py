"""X-Audit-Toelichting as clients send it (issue 13, finding 3): UTF-8 bytes (browsers, Node), Latin-1 bytes
(older clients), and RFC 8187 style `UTF-8''<percent-encoded>` for text outside Latin-1; stored as meant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

TEXT = "overleg één/café"


@pytest.mark.parametrize(("sent", "stored"), [
    (TEXT.encode("utf-8"), TEXT),
    (TEXT.encode("latin-1"), TEXT),
    (b"UTF-8''" + "weegtafel — Łódź €".encode().hex("%").upper().join(["%", ""]).encode(),
     "weegtafel — Łódź €"),
    (b"utf-8''overleg%20%C3%A9%C3%A9n", "overleg één"),
    (b"plain ascii", "plain ascii"),
])
async def test_toelichting_is_stored_as_meant(client: httpx.AsyncClient, auth: Any, sent: bytes, stored: str) -> None:
    headers: dict[str, Any] = auth("zvh-mh", "beheerder") | {"X-Audit-Toelichting": sent}
    r = await client.get("/v1/organisations", headers=headers)
    assert r.status_code == 200, r.text
    entries = (await client.get("/v1/audit", params={"action": "organisation:list"},
                                headers=auth("zvh-mh", "auditor"))).json()["items"]
    assert entries[0]["toelichting"] == stored
