"""Seeding the benchmark database: the world through the API, 100 000 cases through bulk SQL (asyncpg COPY).

The world: organisations, a convenant `zvh` (the ZVH sees every case type) and a convenant `c-politie`
covering ijam, jeugdgroep and woonoverlast for the police: the shapes of tests/cases/test_list_filtering.py.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from app.auth.tokens import issue_dev_token
from app.config import Settings
from app.workflows.engine import get_engine

ALL_CATEGORIES = ["identificatie", "wonen", "sociaal_domein", "onderwijs", "zorg", "politie", "justitie",
                  "veiligheid"]
CASE_TYPES = ["jeugdgroep", "woonoverlast", "ex_gedetineerde", "radicalisering", "ijam"]
ORGANISATIONS = {"zvh-mh": "zvh", "gemeente": "gemeente", "politie": "politie", "woonpunt": "woningcorporatie",
                 "ggz": "ggz", "om": "om", "school": "onderwijs"}
LIST_ORG = "politie"
LIST_ORG_COVERS = ["ijam", "jeugdgroep", "woonoverlast"]
UNCOVERED = [t for t in CASE_TYPES if t not in LIST_ORG_COVERS]
OTHER_PARTNERS = ["gemeente", "woonpunt", "ggz"]


class Tokens:
    """Development tokens (HS256, the server runs with CASUSREGIE_ENV=development), valid 8 hours."""

    def __init__(self) -> None:
        self.settings = Settings(env="development")

    def headers(self, org: str, role: str, sub: str | None = None) -> dict[str, str]:
        token = issue_dev_token(self.settings, org=org, roles=[role], sub=sub or f"bench-{role}@{org}")
        return {"Authorization": f"Bearer {token}"}


async def _ok(resp: httpx.Response, expected: int) -> dict[str, Any]:
    if resp.status_code != expected:
        raise RuntimeError(f"{resp.request.method} {resp.request.url.path}: {resp.status_code} {resp.text[:500]}")
    return dict(resp.json())


async def convenant(client: httpx.AsyncClient, tokens: Tokens, code: str, case_types: list[str],
                    parties: dict[str, list[str]]) -> str:
    beheerder = tokens.headers("zvh-mh", "beheerder")
    body = {
        "code": code, "title": f"Convenant {code}", "case_types": case_types,
        "purposes": ["voorkomen van escalatie en recidive"], "legal_basis": "Wgs - PGA complexe casuistiek",
        "valid_from": "2020-01-01", "valid_until": "2099-12-31", "retention_months": 24,
        "parties": [{"organisation": o, "role": "kernpartner" if o == "zvh-mh" else "casuspartner",
                     "data_categories": cats} for o, cats in parties.items()],
    }
    created = await _ok(await client.post("/v1/convenants", json=body, headers=beheerder), 201)
    await _ok(await client.post(f"/v1/convenants/{created['id']}/activate", headers=beheerder), 200)
    return str(created["id"])


async def seed_world(client: httpx.AsyncClient, tokens: Tokens) -> None:
    beheerder = tokens.headers("zvh-mh", "beheerder")
    for code, kind in ORGANISATIONS.items():
        await _ok(await client.post("/v1/organisations", json={"code": code, "name": code.title(), "kind": kind},
                                    headers=beheerder), 201)
    await convenant(client, tokens, "zvh", CASE_TYPES, {"zvh-mh": ALL_CATEGORIES, "gemeente": ["identificatie"]})
    await convenant(client, tokens, "c-politie", LIST_ORG_COVERS,
                    {"zvh-mh": ["identificatie"], LIST_ORG: ["identificatie", "wonen", "politie"]})
    # Signal intake: woonpunt reports woonoverlast (its grant is the legal basis of each intake's audit entry).
    await convenant(client, tokens, "c-woonpunt", ["woonoverlast"],
                    {"zvh-mh": ["identificatie"], "woonpunt": ["identificatie", "wonen"]})


async def create_ijam_cases(client: httpx.AsyncClient, tokens: Tokens, n: int, *, concurrency: int = 8) -> list[str]:
    """`n` IJAM cases on the first tier (knooppunt_school), opened by the ZVH's procesregisseur."""
    regisseur = tokens.headers("zvh-mh", "procesregisseur", sub="bench-regisseur")
    ids: list[str] = []
    todo = list(range(n))

    async def worker() -> None:
        while todo:
            i = todo.pop()
            body = {"case_type": "ijam", "title": f"Bench IJAM {i}", "initial_state": "knooppunt_school",
                    "subjects": [{"type": "persoon", "name": f"Jongere {i}", "birth_date": "2010-02-02"}]}
            ids.append(str((await _ok(await client.post("/v1/cases", json=body, headers=regisseur), 201))["id"]))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids


@dataclass(frozen=True)
class BulkSeed:
    total: int
    visible_to_list_org: int
    invisible_participations: int


async def bulk_cases(dsn: str, total: int, visible: int, *, seed: int = 7) -> BulkSeed:
    """`total` cases; the list organisation participates in `visible` of a covered type (every k-th case)
    and in `visible // 5` more of types its convenant does not cover (which it must not see)."""
    rng = random.Random(seed)
    engine = get_engine()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    step = total // visible
    hidden_every = max(1, total // max(1, visible // 5))
    cases: list[tuple[Any, ...]] = []
    participants: list[tuple[Any, ...]] = []
    n_visible = n_hidden = 0
    for i in range(total):
        cid = uuid.uuid4()
        at = base + timedelta(minutes=i)
        orgs = ["zvh-mh", *rng.sample(OTHER_PARTNERS, rng.randint(0, 2))]
        if i % step == 0 and n_visible < visible:
            case_type = rng.choice(LIST_ORG_COVERS)
            orgs.append(LIST_ORG)
            n_visible += 1
        elif i % hidden_every == hidden_every // 2:
            case_type = rng.choice(UNCOVERED)
            orgs.append(LIST_ORG)
            n_hidden += 1
        else:
            case_type = rng.choice(CASE_TYPES)
        first = engine.ladder(case_type).first_state
        cases.append((cid, f"B-{i:07d}", case_type, first.code, first.tier, f"Bulk casus {i}", "{}", "zvh-mh", 1,
                      at, at, at, "bench-seed"))
        for org in orgs:
            participants.append((cid, org, "opener" if org == "zvh-mh" else "deelnemer", at, "bench-seed", at))
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "casus", records=cases,
                columns=["id", "reference", "case_type", "state", "tier", "title", "details",
                         "opened_by_organisation", "version", "state_entered_at", "created_at", "updated_at",
                         "created_by"])
            await conn.copy_records_to_table(
                "casus_participant", records=participants,
                columns=["case_id", "organisation", "basis", "added_at", "added_by", "case_created_at"])
        await conn.execute("ANALYZE casus; ANALYZE casus_participant")
    finally:
        await conn.close()
    return BulkSeed(total, n_visible, n_hidden)
