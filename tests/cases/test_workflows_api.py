"""GET /v1/workflows publishes exactly DOMAIN.md's ladders ("Case types and their ladders").

The tables below are transcribed by hand from DOMAIN.md, not derived from app/workflows: a ladder
that drifts from the domain text fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.world import World

TokenFactory = Callable[..., dict[str, str]]

# Roles as DOMAIN.md names them; "medewerker@politie" is "medewerker of a `politie` organisation".
P = ("procesregisseur",)
PB = ("procesregisseur", "bestuurder")
PC = ("procesregisseur", "casusregisseur")
B = ("bestuurder",)
ANY_OPEN = "*"  # "any open state -> same"
EARLY = "early"  # "Closing a case": afsluiten from every open state without an afsluiten row of its own

# case type -> subject type, initial states, states (code, label, tier or step, max_dagen),
# transitions (trigger, from, to, roles, needs).
DOMAIN: dict[str, dict[str, Any]] = {
    "jeugdgroep": {
        "subject_type": "groep",
        "initial_states": ["signalering"],
        "states": [
            ("signalering", "Signalen over groepsgedrag delen", "1", 14),
            ("verkenning", "Beoordelen groepsgedrag: verkennen", "2A", 14),
            ("groepsscan", "Beoordelen groepsgedrag: namenlijst en groepsscan", "2B", 28),
            ("groepsduiding", "Groepsduiding en concept plan van aanpak", "3", 28),
            ("prioritering", "Adviseren en prioriteren", "4", 14),
            ("planvorming", "Aanvullen en vaststellen plan van aanpak", "5", 28),
            ("uitvoering", "Uitvoeren en monitoren plan van aanpak", "6", 90),
            ("afschaling", "Afschalen en evalueren", "7", 28),
            ("niet_geprioriteerd", "Niet geprioriteerd", None, 180),
            ("afgesloten", "Afgesloten", None, None),
        ],
        "transitions": [
            ("start_verkenning", "signalering", "verkenning", P, ()),
            ("geen_groepsaanpak", "verkenning", "afgesloten", P, ()),
            ("namenlijst_opstellen", "verkenning", "groepsscan", P, ("noodzaak",)),
            ("groepsscan_afronden", "groepsscan", "groepsduiding", ("procesregisseur", "medewerker@politie"),
             ("groepsscan_datum",)),
            ("duiding_afronden", "groepsduiding", "prioritering", P,
             ("groepsduiding.dynamiek", "groepsduiding.rollen", "groepsduiding.problematiek")),
            ("prioriteren", "prioritering", "planvorming", PB, ("besluit_driehoek_datum",)),
            ("niet_prioriteren", "prioritering", "niet_geprioriteerd", PB, ("besluit_driehoek_datum",)),
            ("heroverwegen", "niet_geprioriteerd", "verkenning", P, ()),
            ("plan_vaststellen", "planvorming", "uitvoering", P, ()),
            ("bijstellen_duiding", "uitvoering", "groepsduiding", P, ()),
            ("bijstellen_plan", "uitvoering", "planvorming", P, ()),
            ("afschalen", "uitvoering", "afschaling", P, ()),
            ("afschalen_niet_mogelijk", "afschaling", "uitvoering", P, ()),
            ("afsluiten", "afschaling", "afgesloten", P, ("evaluatie",)),
            ("afsluiten", "niet_geprioriteerd", "afgesloten", P, ()),
            ("afsluiten", EARLY, "afgesloten", P, ("uitstroomreden",)),
            ("heropenen", "afgesloten", "signalering", P, ()),
        ],
    },
    "woonoverlast": {
        "subject_type": "adres",
        "initial_states": ["melding"],
        "states": [
            ("melding", "Melding ontvangen", None, 7),
            ("triage", "Screening en weging", None, 14),
            ("casusniveau", "Casusniveau (casusregie)", 1, 42),
            ("procesniveau", "Procesniveau (procesregie ZVH)", 2, 28),
            ("managementniveau", "Managementniveau", 3, 14),
            ("bestuurlijk_niveau", "Bestuurlijk niveau (doorzettingsmacht)", 4, 14),
            ("monitoring", "Afgeschaald, monitoring", None, 90),
            ("afgesloten", "Afgesloten", None, None),
        ],
        "transitions": [
            ("triage_starten", "melding", "triage", P, ()),
            ("niet_in_behandeling", "triage", "afgesloten", P, ()),
            ("oppakken", "triage", "casusniveau", P,
             ("ave_fase", "regie_organisation", "criteria.a", "criteria.b", "criteria.c", "criteria.d")),
            ("escaleren", "casusniveau", "procesniveau", PC, ("escalatiereden",)),
            ("escaleren", "procesniveau", "managementniveau", P, ("escalatiereden",)),
            ("escaleren", "managementniveau", "bestuurlijk_niveau", P, ("escalatiereden",)),
            ("deescaleren", "procesniveau", "casusniveau", P, ()),
            ("deescaleren", "managementniveau", "procesniveau", P, ()),
            ("deescaleren", "bestuurlijk_niveau", "managementniveau", B, ()),
            ("doorzettingsbesluit", "bestuurlijk_niveau", "procesniveau", B, ("besluit",)),
            ("maatregel_registreren", "bestuurlijk_niveau", "bestuurlijk_niveau", B, ("datum", "maatregel", "status")),
            ("afschalen", "casusniveau", "monitoring", PC, ()),
            ("heropschalen", "monitoring", "casusniveau", PC, ()),
            ("afsluiten", "monitoring", "afgesloten", P, ()),
            ("afsluiten", EARLY, "afgesloten", P, ("uitstroomreden",)),
            ("ave_fase_wijzigen", ANY_OPEN, ANY_OPEN, PC, ("ave_fase",)),
            ("heropenen", "afgesloten", "melding", P, ()),
        ],
    },
    "ex_gedetineerde": {
        "subject_type": "persoon",
        "initial_states": ["aangemeld"],
        "states": [
            ("aangemeld", "Aangemeld (detentie gestart)", None, 14),
            ("in_detentie", "Tijdens detentie: screening basisvoorwaarden", None, None),
            ("voorbereiding_terugkeer", "Voorbereiding terugkeer", None, 30),
            ("nazorg", "Nazorg na detentie", 1, 180),
            ("pga", "Persoonsgerichte aanpak ZVH", 2, 90),
            ("afgesloten", "Afgesloten", None, None),
        ],
        "transitions": [
            ("screenen", "aangemeld", "in_detentie", PC, ("verwachte_invrijheidstelling",)),
            ("terugkeer_voorbereiden", "in_detentie", "voorbereiding_terugkeer", PC, ()),
            ("invrijheidstelling", "voorbereiding_terugkeer", "nazorg", PC, ("invrijheidstelling_datum",)),
            ("opschalen_pga", "nazorg", "pga", P, ()),
            ("afschalen", "pga", "nazorg", P, ()),
            ("opnieuw_gedetineerd", "nazorg", "in_detentie", PC, ("verwachte_invrijheidstelling",)),
            ("opnieuw_gedetineerd", "pga", "in_detentie", PC, ("verwachte_invrijheidstelling",)),
            ("afsluiten", "nazorg", "afgesloten", P, ()),
            ("afsluiten", EARLY, "afgesloten", P, ("uitstroomreden",)),
            ("melding_18b_registreren", ANY_OPEN, ANY_OPEN, PB, ("delictcategorie", "ontvangen_op")),
            ("beheersmaatregel_registreren", ANY_OPEN, ANY_OPEN, PB, ("maatregel",)),
            ("heropenen", "afgesloten", "aangemeld", P, ()),
        ],
    },
    "radicalisering": {
        "subject_type": "persoon",
        "initial_states": ["signaal"],
        "states": [
            ("signaal", "Signaal ontvangen", None, 7),
            ("voorweging", "Lokale voorweging (gemeente)", None, 14),
            ("weegtafel", "Regionale weegtafel (politie, OM, gemeente)", None, 28),
            ("casusoverleg", "Persoonsgerichte aanpak: casusoverleg en plan", 1, 28),
            ("monitoring", "Uitvoering en monitoring", 1, 90),
            ("afgesloten", "Afgesloten", None, None),
        ],
        "transitions": [
            ("voorwegen", "signaal", "voorweging", P, ()),
            ("geen_zorgen", "voorweging", "afgesloten", P, ()),
            ("naar_weegtafel", "voorweging", "weegtafel", P, ()),
            ("besluit_geen_actie", "weegtafel", "afgesloten", P, ("weegcriteria", "motivering")),
            ("besluit_meer_informatie", "weegtafel", "voorweging", P, ("motivering",)),
            ("besluit_strafrechtelijk", "weegtafel", "afgesloten", P, ("motivering",)),
            ("besluit_pga", "weegtafel", "casusoverleg", P, ("weegcriteria", "motivering")),
            ("plan_vaststellen", "casusoverleg", "monitoring", P, ()),
            ("bijstellen", "monitoring", "casusoverleg", P, ()),
            ("afsluiten", "monitoring", "afgesloten", P, ()),
            ("afsluiten", EARLY, "afgesloten", P, ("uitstroomreden",)),
            ("heropenen", "afgesloten", "signaal", P, ()),
        ],
    },
    "ijam": {
        "subject_type": "persoon",
        "initial_states": ["knooppunt_school", "netwerkoverleg", "jonge_aanwas", "pga"],
        "states": [
            ("knooppunt_school", "Knooppunt op school", 1, 60),
            ("netwerkoverleg", "Netwerkoverleg risicojongeren (JPP)", 2, 60),
            ("jonge_aanwas", "Overleg jonge aanwas (lokale jeugdaanpak)", 3, 60),
            ("pga", "Persoonsgerichte aanpak ZVH", 4, 90),
            ("afgesloten", "Afgesloten", None, None),
        ],
        "transitions": [
            ("opschalen", "knooppunt_school", "netwerkoverleg", PC, ()),
            ("opschalen", "netwerkoverleg", "jonge_aanwas", PC, ()),
            ("opschalen", "jonge_aanwas", "pga", PC, ("criteria.a", "criteria.b", "criteria.c", "criteria.d")),
            ("afschalen", "netwerkoverleg", "knooppunt_school", PC, ()),
            ("afschalen", "jonge_aanwas", "netwerkoverleg", PC, ()),
            ("afschalen", "pga", "jonge_aanwas", PC, ()),
            ("afsluiten", "knooppunt_school", "afgesloten", P, ()),
            ("afsluiten", "netwerkoverleg", "afgesloten", P, ()),
            ("afsluiten", "jonge_aanwas", "afgesloten", P, ()),
            ("afsluiten", "pga", "afgesloten", P, ()),
            ("heropenen", "afgesloten", "knooppunt_school", P, ()),
        ],
    },
}

# Conditions beyond data (DOMAIN.md's "needs" column): a concept plan, a plan with an action, the
# intake / pga criteria rule, every basisvoorwaarde known.
GUARDED = {
    ("jeugdgroep", "duiding_afronden", "groepsduiding"),
    ("jeugdgroep", "plan_vaststellen", "planvorming"),
    ("woonoverlast", "oppakken", "triage"),
    ("ex_gedetineerde", "afsluiten", "nazorg"),
    ("radicalisering", "plan_vaststellen", "casusoverleg"),
    ("ijam", "opschalen", "jonge_aanwas"),
}
# Closed vocabularies in the data: (case type, trigger, key) -> codes.
ENUMS = {
    ("woonoverlast", "escaleren", "escalatiereden"):
        {"stagnatie_samenwerking", "oneenigheid", "veiligheid_in_geding", "complexiteit_toegenomen"},
    ("ex_gedetineerde", "melding_18b_registreren", "delictcategorie"): {"geweld", "zeden", "overig"},
}
VEILIGHEID = {("ex_gedetineerde", "melding_18b_registreren"), ("ex_gedetineerde", "beheersmaatregel_registreren")}


def expected_transitions(case_type: str) -> set[tuple[str, str, str, frozenset[str], frozenset[str]]]:
    ladder = DOMAIN[case_type]
    open_states = [code for code, *_ in ladder["states"] if code != "afgesloten"]
    regular_end = {source for trigger, source, *_ in ladder["transitions"] if trigger == "afsluiten"}
    out = set()
    for trigger, source, dest, roles, needs in ladder["transitions"]:
        if source == ANY_OPEN:
            pairs = [(s, s) for s in open_states]
        elif source == EARLY:
            pairs = [(s, dest) for s in open_states if s not in regular_end]
        else:
            pairs = [(source, dest)]
        for s, d in pairs:
            out.add((trigger, s, d, frozenset(roles), frozenset(needs)))
    return out


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return schema["$defs"][ref.rsplit("/", 1)[-1]] if ref else node


def required_keys(schema: dict[str, Any]) -> frozenset[str]:
    """The required data keys; an object with required keys of its own as `key.subkey`."""
    keys = set()
    for key in schema.get("required", []):
        node = _resolve(schema, schema["properties"][key])
        sub = node.get("required") if "properties" in node else None
        keys |= {f"{key}.{s}" for s in sub} if sub else {key}
    return frozenset(keys)


def published_transitions(body: dict[str, Any]) -> list[tuple[str, str, str, frozenset[str], frozenset[str]]]:
    return [
        (t["trigger"], t["from"], t["to"],
         frozenset(t["roles"]) | {f"{x['role']}@{x['organisation_kind']}" for x in t["org_kind_roles"]},
         required_keys(t["required_data"]))
        for t in body["transitions"]
    ]


@pytest.fixture
async def reader(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, str]:
    await World(client, auth).organisations()  # a procesregisseur's role counts for ZVH and gemeente staff
    return auth("zvh-mh", "procesregisseur")


async def test_list_names_the_five_case_types(client: httpx.AsyncClient, reader: dict[str, str]) -> None:
    r = await client.get("/v1/workflows", headers=reader)
    assert r.status_code == 200, r.text
    assert {w["case_type"]: w["subject_type"] for w in r.json()} == {
        t: ladder["subject_type"] for t, ladder in DOMAIN.items()}
    assert all(w["label"] for w in r.json())


@pytest.mark.parametrize("case_type", list(DOMAIN))
async def test_ladder_equals_domain(client: httpx.AsyncClient, reader: dict[str, str], case_type: str) -> None:
    r = await client.get(f"/v1/workflows/{case_type}", headers=reader)
    assert r.status_code == 200, r.text
    body = r.json()
    ladder = DOMAIN[case_type]
    assert (body["case_type"], body["subject_type"]) == (case_type, ladder["subject_type"])
    assert body["initial_states"] == ladder["initial_states"]

    # States: code, Dutch label, tier (jeugdgroep: step) and max_dagen, in DOMAIN.md's order.
    rung = "step" if case_type == "jeugdgroep" else "tier"
    assert [(s["code"], s["label"], s[rung], s["max_dagen"]) for s in body["states"]] == ladder["states"]
    other = "tier" if rung == "step" else "step"
    assert all(s[other] is None for s in body["states"])

    # Transitions: trigger, from, to, roles and required data, each exactly once.
    published = published_transitions(body)
    assert len(published) == len(set(published))
    assert set(published) == expected_transitions(case_type)

    for t in body["transitions"]:
        key = (case_type, t["trigger"], t["from"])
        assert bool(t["guards"]) == (key in GUARDED), key
        if (case_type, t["trigger"]) in VEILIGHEID:
            assert t["data_category"] == "veiligheid"
        for (ct, trigger, field), codes in ENUMS.items():
            if (ct, trigger) == (case_type, t["trigger"]):
                schema = t["required_data"]
                assert set(_resolve(schema, schema["properties"][field])["enum"]) == codes

    mermaid = body["mermaid"]
    assert mermaid.startswith("stateDiagram-v2")
    for trigger, source, dest, *_ in published:
        assert f"{source} --> {dest} : {trigger}" in mermaid


async def test_stagnation_rules(client: httpx.AsyncClient, reader: dict[str, str]) -> None:
    """Overdue on an AVE rung with a next one escalates with stagnatie_samenwerking; every other ladder flags."""
    for case_type in DOMAIN:
        rule = (await client.get(f"/v1/workflows/{case_type}", headers=reader)).json()["stagnation"]
        if case_type == "woonoverlast":
            assert (rule["kind"], rule["from_states"], rule["trigger"], rule["data"], rule["elsewhere"]) == (
                "escalate", ["casusniveau", "procesniveau", "managementniveau"], "escaleren",
                {"escalatiereden": "stagnatie_samenwerking"}, "flag")
        else:
            assert rule["kind"] == "flag"


async def test_unknown_case_type_is_422(client: httpx.AsyncClient, reader: dict[str, str]) -> None:
    r = await client.get("/v1/workflows/hangjongeren", headers=reader)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    for path in ("/v1/workflows", "/v1/workflows/ijam"):
        r = await client.get(path)
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_every_role_may_read_the_ladders(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    # No convenant is needed: the ladders are public vocabulary, not case data.
    await World(client, auth).organisations()
    for role in ("procesregisseur", "casusregisseur", "medewerker", "melder", "bestuurder", "beheerder", "auditor"):
        for path in ("/v1/workflows", "/v1/workflows/woonoverlast"):
            # The school's staff, or where a school may not hold the role, the municipality's or the ZVH's.
            org = {"procesregisseur": "gemeente", "bestuurder": "gemeente", "beheerder": "zvh-mh"}.get(role, "school")
            r = await client.get(path, headers=auth(org, role))
            assert r.status_code == 200, (role, r.text)
