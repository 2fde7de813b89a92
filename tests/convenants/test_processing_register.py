"""GET /v1/processing-register: the AVG art. 30 register, JSON and Markdown."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from app import access
from app.api.negotiation import wants_markdown
from app.config import Settings
from app.convenants import register as processing_register
from app.kit import clock
from app.vocabulary import Role
from tests.convenants.conftest import Create, TokenFactory

pytestmark = pytest.mark.usefixtures("orgs")

SETUP = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)

ZVH = {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie", "zorg", "politie"]}
WOONPUNT = {"organisation": "woonpunt", "role": "casuspartner", "data_categories": ["wonen"]}


async def world(client: httpx.AsyncClient, admin: dict[str, str], create: Create) -> dict[str, str]:
    """Convenants in every situation; on LATER only `actief-geldig` is active and valid."""
    ids = {}
    with clock.frozen(SETUP):
        ids["actief"] = (await create(activate=True, code="actief-geldig", title="Convenant Woonoverlast MH",
                                      case_types=["woonoverlast", "jeugdgroep"], parties=[ZVH, WOONPUNT],
                                      legal_basis="Gemeentewet art. 172 | Wgs",
                                      valid_from="2026-01-01", valid_until="2027-12-31"))["id"]
        ids["concept"] = (await create(code="alleen-concept", title="Concept Convenant"))["id"]
        ids["beeindigd"] = (await create(activate=True, code="beeindigd", title="Beëindigd Convenant"))["id"]
        r = await client.post(f"/v1/convenants/{ids['beeindigd']}/terminate", json={"reason": "x"}, headers=admin)
        assert r.status_code == 200
        ids["verlopen"] = (await create(activate=True, code="verlopen", title="Verlopen Convenant",
                                        valid_from="2026-01-01", valid_until="2026-06-30"))["id"]
        ids["toekomst"] = (await create(activate=True, code="toekomst", title="Toekomstig Convenant",
                                        valid_from="2026-09-01", valid_until="2027-06-30"))["id"]
    return ids


async def test_register_lists_exactly_the_active_valid_convenants(
    client: httpx.AsyncClient, admin: dict[str, str], auditor: dict[str, str], create: Create, settings: Settings
) -> None:
    ids = await world(client, admin, create)
    with clock.frozen(LATER):
        r = await client.get("/v1/processing-register", headers=auditor)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    register = r.json()
    assert register["generated_at"].startswith("2026-07-15T09:00:00")
    (record,) = register["records"]
    measures = processing_register.measures_of(settings)
    assert measures[:-2] == list(access.policies().security_measures) and len(measures) > 2
    assert record == {
        "convenant_id": ids["actief"], "code": "actief-geldig", "version": 1, "title": "Convenant Woonoverlast MH",
        "controllers": [
            {"organisation": "woonpunt", "name": "Woonpunt", "kind": "woningcorporatie", "role": "casuspartner"},
            {"organisation": "zvh-mh", "name": "Zorg- en Veiligheidshuis Maastricht-Heuvelland", "kind": "zvh",
             "role": "kernpartner"},
        ],
        "purposes": ["voorkomen van escalatie en recidive"],
        "data_subject_categories": [
            {"case_type": "jeugdgroep", "description": "jongeren in een problematische jeugdgroep en hun netwerk"},
            {"case_type": "woonoverlast",
             "description": "bewoners van een adres met (woon)overlast, hun huisgenoten en betrokken omwonenden"},
        ],
        "recipients": [
            {"organisation": "woonpunt", "name": "Woonpunt", "role": "casuspartner", "data_categories": [
                {"code": "wonen", "label": "Wonen (huisvesting, overlastmeldingen, maatregelen corporatie)",
                 "avg_class": "gewoon"}]},
            {"organisation": "zvh-mh", "name": "Zorg- en Veiligheidshuis Maastricht-Heuvelland",
             "role": "kernpartner", "data_categories": [
                 {"code": "identificatie", "label": "Identificatie (naam, geboortedatum, adres)",
                  "avg_class": "gewoon"},
                 {"code": "zorg", "label": "Zorg (gezondheid, GGZ, verslaving)", "avg_class": "bijzonder"},
                 {"code": "politie", "label": "Politiegegevens (Wpg)", "avg_class": "strafrechtelijk"}]},
        ],
        "legal_basis": "Gemeentewet art. 172 | Wgs", "retention_months": 24,
        "valid_from": "2026-01-01", "valid_until": "2027-12-31",
        "security_measures": measures,
    }
    # On SETUP the expired one was still valid and the future one not yet: evaluated per request.
    with clock.frozen(SETUP):
        r = await client.get("/v1/processing-register", headers=admin)
    assert [rec["code"] for rec in r.json()["records"]] == ["actief-geldig", "verlopen"]


async def test_register_as_markdown(
    client: httpx.AsyncClient, admin: dict[str, str], auditor: dict[str, str], create: Create, settings: Settings
) -> None:
    await world(client, admin, create)
    with clock.frozen(LATER):
        r = await client.get("/v1/processing-register", headers={**auditor, "Accept": "text/markdown"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "accept" in r.headers["vary"].lower()
    md = r.text
    assert md.startswith("# Verwerkingsregister (AVG art. 30)")
    assert "## Convenant Woonoverlast MH" in md
    assert "Rechtsgrond: Gemeentewet art. 172 | Wgs" in md
    for party in ("| Woonpunt | woonpunt | woningcorporatie | casuspartner |",
                  "| Zorg- en Veiligheidshuis Maastricht-Heuvelland | zvh-mh | zvh | kernpartner |"):
        assert party in md
    assert "| Zorg- en Veiligheidshuis Maastricht-Heuvelland (zvh-mh) | zorg | Zorg (gezondheid, GGZ, verslaving) " \
           "| bijzonder |" in md
    assert "jongeren in een problematische jeugdgroep en hun netwerk" in md
    assert "Bewaartermijn: 24 maanden" in md
    for measure in processing_register.measures_of(settings):
        assert measure in md
    for absent in ("Concept Convenant", "Beëindigd Convenant", "Verlopen Convenant", "Toekomstig Convenant"):
        assert absent not in md


async def test_register_without_convenants(client: httpx.AsyncClient, auditor: dict[str, str]) -> None:
    r = await client.get("/v1/processing-register", headers=auditor)
    assert r.status_code == 200 and r.json()["records"] == []
    r = await client.get("/v1/processing-register", headers={**auditor, "Accept": "text/markdown"})
    assert "geen actieve" in r.text


async def test_register_roles(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    statuses = {role.value: (await client.get("/v1/processing-register", headers=auth("zvh-mh", role.value)))
                .status_code for role in Role}
    assert statuses == {role.value: 200 if role in (Role.auditor, Role.beheerder) else 403 for role in Role}
    r = await client.get("/v1/processing-register")
    assert r.status_code == 401


@pytest.mark.parametrize(("accept", "markdown"), [
    (None, False),
    ("", False),
    ("*/*", False),
    ("application/json", False),
    ("text/markdown", True),
    ("text/*", True),
    ("text/markdown;q=0.5, application/json", False),
    ("application/json;q=0.5, text/markdown", True),
    ("text/html, text/markdown;q=0.9, */*;q=0.1", True),
    ("text/markdown;q=0", False),
    ("text/html", False),
])
def test_content_negotiation(accept: str | None, markdown: bool) -> None:
    assert wants_markdown(accept) is markdown


def test_openapi_documents_both_media_types(app: FastAPI) -> None:
    content = app.openapi()["paths"]["/v1/processing-register"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/markdown"}
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ProcessingRegisterOut"}


# The register's claims follow the configuration (issue 17 item 6): it states destruction only while the retention
# job is enabled, and the audit log as tamper-evident up to a signed checkpoint outside the database, never more.
def _claims(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(f"CASUSREGIE_{name}", value)
    return processing_register.measures_of(Settings())


def test_retention_is_claimed_only_while_the_job_is_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    enabled = _claims(monkeypatch, RETENTION_ENABLED="true", RETENTION_INTERVAL="86400")
    (claim,) = [m for m in enabled if m.startswith("Bewaartermijn")]
    assert "vernietigt de worker dagelijks" in claim
    assert any("vernietigt de worker elke 12 uur" in m
               for m in _claims(monkeypatch, RETENTION_INTERVAL=str(12 * 3600)))
    disabled = _claims(monkeypatch, RETENTION_ENABLED="false")
    (claim,) = [m for m in disabled if m.startswith("Bewaartermijn")]
    assert "vernietigt" not in claim and "staat in deze installatie uit" in claim
    assert not any("vernietigt" in m or "daarna vernietiging" in m for m in disabled)


def test_the_audit_claim_is_tamper_evidence_up_to_the_checkpoints_outside_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for measures in (_claims(monkeypatch, ENV="production"), _claims(monkeypatch, ENV="development")):
        assert not any("onweerlegbaar" in m.replace("niet onweerlegbaar", "") for m in measures)
    # Production without a checkpoint directory or witness: nothing leaves the database, and the register says so.
    monkeypatch.delenv("CASUSREGIE_AUDIT_CHECKPOINT_DIR", raising=False)
    monkeypatch.delenv("CASUSREGIE_AUDIT_WITNESS_URL", raising=False)
    (claim,) = [m for m in _claims(monkeypatch, ENV="production") if m.startswith("Hash-geketend")]
    assert "er verlaten geen ondertekende checkpoints de database" in claim and "tot aan" not in claim
    (claim,) = [m for m in _claims(monkeypatch, ENV="production", AUDIT_CHECKPOINT_DIR=f"{tmp_path}/cp",
                                   AUDIT_SIGNING_KEY=f"{tmp_path}/key.pem", AUDIT_CHECKPOINT_INTERVAL="3600")
                if m.startswith("Hash-geketend")]
    assert "manipulatie aantoonbaar (niet onweerlegbaar) tot aan het nieuwste Ed25519-ondertekende checkpoint " \
           "buiten de database (een alleen-toevoegen map, elke 1 uur)" in claim


async def test_the_served_register_states_the_running_configuration(
    client: httpx.AsyncClient, admin: dict[str, str], auditor: dict[str, str], create: Create, app: FastAPI
) -> None:
    await world(client, admin, create)
    app.state.settings = app.state.settings.model_copy(update={"retention_enabled": False})
    with clock.frozen(LATER):
        (record,) = (await client.get("/v1/processing-register", headers=auditor)).json()["records"]
    assert not any("vernietigt" in m for m in record["security_measures"])
    app.state.settings = app.state.settings.model_copy(update={"retention_enabled": True})
    with clock.frozen(LATER):
        (record,) = (await client.get("/v1/processing-register", headers=auditor)).json()["records"]
    assert any("vernietigt de worker dagelijks" in m for m in record["security_measures"])
