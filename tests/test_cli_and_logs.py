"""The CLI's development token works against the API; logs carry request ids and never personal data."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from tests.world import World


def test_cli_token_is_accepted(db_url: str) -> None:
    env = dict(os.environ, CASUSREGIE_DATABASE_URL=db_url, CASUSREGIE_ENV="development")
    proc = subprocess.run([sys.executable, "-m", "app.cli", "token", "--org", "zvh-mh", "--role", "beheerder",
                           "--role", "auditor", "--sub", "cli-user", "--ttl", "60"],
                          env=env, capture_output=True, text=True, timeout=60, check=True)
    token = proc.stdout.strip()
    from jose import jwt

    claims = jwt.get_unverified_claims(token)
    assert claims["roles"] == ["beheerder", "auditor"] and claims["sub"] == "cli-user"
    assert claims["exp"] - claims["iat"] == 60


def test_cli_refuses_tokens_in_production() -> None:
    env = dict(os.environ, CASUSREGIE_ENV="production", CASUSREGIE_JWKS="/nonexistent",
               CASUSREGIE_BSN_HASH_KEY="k" * 32)
    proc = subprocess.run([sys.executable, "-m", "app.cli", "token", "--org", "x", "--role", "auditor"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0 and proc.stdout.strip() == ""


async def test_logs_hold_ids_not_personal_data(
    client: httpx.AsyncClient, auth: Any, caplog: pytest.LogCaptureFixture
) -> None:
    world = await World(client, auth).setup()
    caplog.set_level(logging.DEBUG)
    body = {"case_type": "ex_gedetineerde", "title": "Casus", "subjects": [
        {"type": "persoon", "name": "Jan Geheimnaam", "bsn": "111222333", "birth_date": "1980-01-02"}]}
    r = await client.post("/v1/cases", json=body, headers=world.regisseur | {"X-Request-ID": "req-log-1"})
    assert r.status_code == 201, r.text
    await client.post(f"/v1/cases/{r.json()['id']}/notes", json={"category": "justitie", "text": "Vertrouwelijk"},
                      headers=world.regisseur)
    from app.kit.logs import JsonFormatter

    formatter = JsonFormatter()
    lines = [formatter.format(rec) for rec in caplog.records]
    assert any("req-log-1" in line for line in lines)
    text = "\n".join(lines)
    for secret in ("Geheimnaam", "111222333", "1980-01-02", "Vertrouwelijk"):
        assert secret not in text
