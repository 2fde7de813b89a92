"""GET /v1/policies is policies/roles.yaml and policies/data_categories.yaml, read as written: every role
with exactly its actions, every category with its label and AVG class, nothing added or left out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.world import World

POLICIES = Path(__file__).resolve().parents[2] / "policies"
ROLES_YAML = yaml.safe_load((POLICIES / "roles.yaml").read_text(encoding="utf-8"))
CATEGORIES_YAML = yaml.safe_load((POLICIES / "data_categories.yaml").read_text(encoding="utf-8"))
ROLES = list(ROLES_YAML["roles"])


def test_the_yaml_is_what_these_tests_expect() -> None:
    declared = set(ROLES_YAML["actions"])
    assert ROLES == ["procesregisseur", "casusregisseur", "medewerker", "melder", "bestuurder", "beheerder",
                     "auditor"]
    for role, spec in ROLES_YAML["roles"].items():
        assert len(spec["actions"]) == len(set(spec["actions"])), role
        assert set(spec["actions"]) <= declared, (role, set(spec["actions"]) - declared)


@pytest.mark.parametrize("role", ROLES)
async def test_policies_body_is_the_yaml(client: httpx.AsyncClient, auth: Any, role: str) -> None:
    await World(client, auth).organisations()  # roles count for organisations of a kind that may hold them
    r = await client.get("/v1/policies", headers=auth("gemeente" if role == "bestuurder" else "zvh-mh", role))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"roles", "data_categories"}
    assert body["roles"] == [
        {"code": code, "label": spec["label"], "actions": sorted(spec["actions"]),
         "organisation_kinds": sorted(spec["organisation_kinds"]) if "organisation_kinds" in spec else None}
        for code, spec in ROLES_YAML["roles"].items()
    ]
    assert {role["code"]: set(role["actions"]) for role in body["roles"]} == {
        code: set(spec["actions"]) for code, spec in ROLES_YAML["roles"].items()}
    assert body["data_categories"] == [
        {"code": code, "label": spec["label"], "avg_class": spec["avg_class"]}
        for code, spec in CATEGORIES_YAML["categories"].items()
    ]
