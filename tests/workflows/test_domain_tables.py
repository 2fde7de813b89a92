"""The published ladders equal DOMAIN.md's tables, transcribed here by hand."""

from __future__ import annotations

from typing import Any

import pytest

from app.workflows.engine import WorkflowEngine

P = frozenset({"procesregisseur"})
PB = frozenset({"procesregisseur", "bestuurder"})
PC = frozenset({"procesregisseur", "casusregisseur"})
B = frozenset({"bestuurder"})
NONE: frozenset[str] = frozenset()

# (code, label, tier, step, max_dagen)
STATES: dict[str, list[tuple[str, str, int | None, str | None, int | None]]] = {
    "jeugdgroep": [
        ("signalering", "Signalen over groepsgedrag delen", None, "1", 14),
        ("verkenning", "Beoordelen groepsgedrag: verkennen", None, "2A", 14),
        ("groepsscan", "Beoordelen groepsgedrag: namenlijst en groepsscan", None, "2B", 28),
        ("groepsduiding", "Groepsduiding en concept plan van aanpak", None, "3", 28),
        ("prioritering", "Adviseren en prioriteren", None, "4", 14),
        ("planvorming", "Aanvullen en vaststellen plan van aanpak", None, "5", 28),
        ("uitvoering", "Uitvoeren en monitoren plan van aanpak", None, "6", 90),
        ("afschaling", "Afschalen en evalueren", None, "7", 28),
        ("niet_geprioriteerd", "Niet geprioriteerd", None, None, 180),
        ("afgesloten", "Afgesloten", None, None, None),
    ],
    "woonoverlast": [
        ("melding", "Melding ontvangen", None, None, 7),
        ("triage", "Screening en weging", None, None, 14),
        ("casusniveau", "Casusniveau (casusregie)", 1, None, 42),
        ("procesniveau", "Procesniveau (procesregie ZVH)", 2, None, 28),
        ("managementniveau", "Managementniveau", 3, None, 14),
        ("bestuurlijk_niveau", "Bestuurlijk niveau (doorzettingsmacht)", 4, None, 14),
        ("monitoring", "Afgeschaald, monitoring", None, None, 90),
        ("afgesloten", "Afgesloten", None, None, None),
    ],
    "ex_gedetineerde": [
        ("aangemeld", "Aangemeld (detentie gestart)", None, None, 14),
        ("in_detentie", "Tijdens detentie: screening basisvoorwaarden", None, None, None),
        ("voorbereiding_terugkeer", "Voorbereiding terugkeer", None, None, 30),
        ("nazorg", "Nazorg na detentie", 1, None, 180),
        ("pga", "Persoonsgerichte aanpak ZVH", 2, None, 90),
        ("afgesloten", "Afgesloten", None, None, None),
    ],
    "radicalisering": [
        ("signaal", "Signaal ontvangen", None, None, 7),
        ("voorweging", "Lokale voorweging (gemeente)", None, None, 14),
        ("weegtafel", "Regionale weegtafel (politie, OM, gemeente)", None, None, 28),
        ("casusoverleg", "Persoonsgerichte aanpak: casusoverleg en plan", 1, None, 28),
        ("monitoring", "Uitvoering en monitoring", 1, None, 90),
        ("afgesloten", "Afgesloten", None, None, None),
    ],
    "ijam": [
        ("knooppunt_school", "Knooppunt op school", 1, None, 60),
        ("netwerkoverleg", "Netwerkoverleg risicojongeren (JPP)", 2, None, 60),
        ("jonge_aanwas", "Overleg jonge aanwas (lokale jeugdaanpak)", 3, None, 60),
        ("pga", "Persoonsgerichte aanpak ZVH", 4, None, 90),
        ("afgesloten", "Afgesloten", None, None, None),
    ],
}

# DOMAIN.md "Regie and level owners": state -> (owner kind, required, data key naming the owner per case). A
# state not listed has no owner (afgesloten). AVE casusniveau and monitoring have no fixed kind: the
# regie_organisation named at oppakken owns them. jeugdgroep: "all steps" (niet_geprioriteerd included).
CASUSREGIE = (None, False, "regie_organisation")
OWNERS: dict[str, dict[str, tuple[str | None, bool, str | None]]] = {
    "jeugdgroep": {code: ("gemeente", False, None) for code, *_ in STATES["jeugdgroep"] if code != "afgesloten"},
    "woonoverlast": {
        "melding": ("zvh", False, None),
        "triage": ("zvh", False, None),
        "casusniveau": CASUSREGIE,
        "procesniveau": ("zvh", False, None),
        "managementniveau": ("zvh", False, None),
        "bestuurlijk_niveau": ("gemeente", True, None),
        "monitoring": CASUSREGIE,
    },
    "ex_gedetineerde": {
        "aangemeld": ("gemeente", False, None),
        "in_detentie": ("gemeente", False, None),
        "voorbereiding_terugkeer": ("gemeente", False, None),
        "nazorg": ("gemeente", False, None),
        "pga": ("zvh", False, None),
    },
    "radicalisering": {
        "signaal": ("gemeente", False, None),
        "voorweging": ("gemeente", False, None),
        "weegtafel": ("gemeente", False, None),
        "casusoverleg": ("zvh", False, None),
        "monitoring": ("zvh", False, None),
    },
    "ijam": {
        "knooppunt_school": ("onderwijs", False, None),
        "netwerkoverleg": ("gemeente", False, None),
        "jonge_aanwas": ("gemeente", False, None),
        "pga": ("zvh", False, None),
    },
}

Row = tuple[str, str, str, frozenset[str], frozenset[str]]


def open_states(case_type: str) -> list[str]:
    return [code for code, *_ in STATES[case_type] if code != "afgesloten"]


def any_open_state(case_type: str, trigger: str, roles: frozenset[str], needs: set[str]) -> list[Row]:
    return [(trigger, s, s, roles, frozenset(needs)) for s in open_states(case_type)]


def early_closures(case_type: str, regular_end: set[str]) -> list[Row]:
    """DOMAIN.md "Closing a case": afsluiten from every other open state, by the procesregisseur, with a reason."""
    return [("afsluiten", s, "afgesloten", P, frozenset({"uitstroomreden"}))
            for s in open_states(case_type) if s not in regular_end]


# (trigger, from, to, roles, required data keys)
TRANSITIONS: dict[str, list[Row]] = {
    "jeugdgroep": [
        ("start_verkenning", "signalering", "verkenning", P, NONE),
        ("geen_groepsaanpak", "verkenning", "afgesloten", P, NONE),
        ("namenlijst_opstellen", "verkenning", "groepsscan", P, frozenset({"noodzaak"})),
        ("groepsscan_afronden", "groepsscan", "groepsduiding", P, frozenset({"groepsscan_datum"})),
        ("duiding_afronden", "groepsduiding", "prioritering", P, frozenset({"groepsduiding"})),
        ("prioriteren", "prioritering", "planvorming", PB, frozenset({"besluit_driehoek_datum"})),
        ("niet_prioriteren", "prioritering", "niet_geprioriteerd", PB, frozenset({"besluit_driehoek_datum"})),
        ("heroverwegen", "niet_geprioriteerd", "verkenning", P, NONE),
        ("plan_vaststellen", "planvorming", "uitvoering", P, NONE),
        ("bijstellen_duiding", "uitvoering", "groepsduiding", P, NONE),
        ("bijstellen_plan", "uitvoering", "planvorming", P, NONE),
        ("afschalen", "uitvoering", "afschaling", P, NONE),
        ("afschalen_niet_mogelijk", "afschaling", "uitvoering", P, NONE),
        ("afsluiten", "afschaling", "afgesloten", P, frozenset({"evaluatie"})),
        ("afsluiten", "niet_geprioriteerd", "afgesloten", P, NONE),
        *early_closures("jeugdgroep", {"afschaling", "niet_geprioriteerd"}),
        ("heropenen", "afgesloten", "signalering", P, NONE),
    ],
    "woonoverlast": [
        ("triage_starten", "melding", "triage", P, NONE),
        ("niet_in_behandeling", "triage", "afgesloten", P, NONE),
        ("oppakken", "triage", "casusniveau", P, frozenset({"ave_fase", "regie_organisation", "criteria"})),
        ("escaleren", "casusniveau", "procesniveau", PC, frozenset({"escalatiereden"})),
        ("escaleren", "procesniveau", "managementniveau", P, frozenset({"escalatiereden"})),
        ("escaleren", "managementniveau", "bestuurlijk_niveau", P, frozenset({"escalatiereden"})),
        ("deescaleren", "procesniveau", "casusniveau", P, NONE),
        ("deescaleren", "managementniveau", "procesniveau", P, NONE),
        ("deescaleren", "bestuurlijk_niveau", "managementniveau", B, NONE),
        ("doorzettingsbesluit", "bestuurlijk_niveau", "procesniveau", B, frozenset({"besluit"})),
        ("maatregel_registreren", "bestuurlijk_niveau", "bestuurlijk_niveau", B,
         frozenset({"maatregel", "datum", "status"})),
        ("afschalen", "casusniveau", "monitoring", PC, NONE),
        ("heropschalen", "monitoring", "casusniveau", PC, NONE),
        ("afsluiten", "monitoring", "afgesloten", P, NONE),
        *early_closures("woonoverlast", {"monitoring"}),
        *any_open_state("woonoverlast", "ave_fase_wijzigen", PC, {"ave_fase"}),
        ("heropenen", "afgesloten", "melding", P, NONE),
    ],
    "ex_gedetineerde": [
        ("screenen", "aangemeld", "in_detentie", PC, frozenset({"verwachte_invrijheidstelling"})),
        ("terugkeer_voorbereiden", "in_detentie", "voorbereiding_terugkeer", PC, NONE),
        ("invrijheidstelling", "voorbereiding_terugkeer", "nazorg", PC, frozenset({"invrijheidstelling_datum"})),
        ("opschalen_pga", "nazorg", "pga", P, NONE),
        ("afschalen", "pga", "nazorg", P, NONE),
        *(("opnieuw_gedetineerd", s, "in_detentie", PC, frozenset({"verwachte_invrijheidstelling"}))
          for s in ("nazorg", "pga")),
        ("afsluiten", "nazorg", "afgesloten", P, NONE),
        *early_closures("ex_gedetineerde", {"nazorg"}),
        *any_open_state("ex_gedetineerde", "melding_18b_registreren", PB, {"delictcategorie", "ontvangen_op"}),
        *any_open_state("ex_gedetineerde", "beheersmaatregel_registreren", PB, {"maatregel"}),
        ("heropenen", "afgesloten", "aangemeld", P, NONE),
    ],
    "radicalisering": [
        ("voorwegen", "signaal", "voorweging", P, NONE),
        ("geen_zorgen", "voorweging", "afgesloten", P, NONE),
        ("naar_weegtafel", "voorweging", "weegtafel", P, NONE),
        ("besluit_geen_actie", "weegtafel", "afgesloten", P, frozenset({"weegcriteria", "motivering"})),
        ("besluit_meer_informatie", "weegtafel", "voorweging", P, frozenset({"motivering"})),
        ("besluit_strafrechtelijk", "weegtafel", "afgesloten", P, frozenset({"motivering"})),
        ("besluit_pga", "weegtafel", "casusoverleg", P, frozenset({"weegcriteria", "motivering"})),
        ("plan_vaststellen", "casusoverleg", "monitoring", P, NONE),
        ("bijstellen", "monitoring", "casusoverleg", P, NONE),
        ("afsluiten", "monitoring", "afgesloten", P, NONE),
        *early_closures("radicalisering", {"monitoring"}),
        ("heropenen", "afgesloten", "signaal", P, NONE),
    ],
    "ijam": [
        ("opschalen", "knooppunt_school", "netwerkoverleg", PC, NONE),
        ("opschalen", "netwerkoverleg", "jonge_aanwas", PC, NONE),
        ("opschalen", "jonge_aanwas", "pga", PC, frozenset({"criteria"})),
        ("afschalen", "netwerkoverleg", "knooppunt_school", PC, NONE),
        ("afschalen", "jonge_aanwas", "netwerkoverleg", PC, NONE),
        ("afschalen", "pga", "jonge_aanwas", PC, NONE),
        ("afsluiten", "knooppunt_school", "afgesloten", P, NONE),
        ("afsluiten", "netwerkoverleg", "afgesloten", P, NONE),
        ("afsluiten", "jonge_aanwas", "afgesloten", P, NONE),
        ("afsluiten", "pga", "afgesloten", P, NONE),
        ("heropenen", "afgesloten", "knooppunt_school", P, NONE),
    ],
}

GUARDS: dict[str, dict[tuple[str, str], list[str]]] = {
    "jeugdgroep": {
        ("duiding_afronden", "groepsduiding"): ["concept_plan_exists"],
        ("plan_vaststellen", "planvorming"): ["plan_has_action"],
    },
    "woonoverlast": {("oppakken", "triage"): ["criteria_met"]},
    "ex_gedetineerde": {("afsluiten", "nazorg"): ["basisvoorwaarden_bekend"]},
    "radicalisering": {("plan_vaststellen", "casusoverleg"): ["plan_has_action"]},
    "ijam": {("opschalen", "jonge_aanwas"): ["criteria_met"]},
}

SUBJECT_TYPES = {
    "jeugdgroep": "groep",
    "woonoverlast": "adres",
    "ex_gedetineerde": "persoon",
    "radicalisering": "persoon",
    "ijam": "persoon",
}
INITIAL_STATES = {
    "jeugdgroep": ["signalering"],
    "woonoverlast": ["melding"],
    "ex_gedetineerde": ["aangemeld"],
    "radicalisering": ["signaal"],
    "ijam": ["knooppunt_school", "netwerkoverleg", "jonge_aanwas", "pga"],
}


def test_case_types(engine: WorkflowEngine) -> None:
    assert sorted(engine.case_types) == sorted(STATES)
    assert {s["case_type"]: s["subject_type"] for s in engine.summary()} == SUBJECT_TYPES
    assert all(s["label"] for s in engine.summary())


# States whose being-in reveals a decision of a data category (issue 16 item 5; DOMAIN.md radicalisering).
# States whose deadline follows a date of the case instead of max_dagen (issue 16, ex_gedetineerde).
DUE_BEFORE = {("ex_gedetineerde", "in_detentie"): "verwachte_invrijheidstelling"}
STATE_CATEGORIES = {("radicalisering", "casusoverleg"): "veiligheid", ("radicalisering", "monitoring"): "veiligheid"}


@pytest.mark.parametrize("case_type", sorted(STATES))
def test_states_equal_domain_table(engine: WorkflowEngine, case_type: str) -> None:
    published = engine.describe(case_type)["states"]
    owners = OWNERS[case_type]
    expected = [
        {"code": code, "label": label, "tier": tier, "step": step, "max_dagen": max_dagen,
         **dict(zip(("owner_kind", "owner_required", "owner_named_by"), owners.get(code, (None, False, None)),
                    strict=True)),
        "category": STATE_CATEGORIES.get((case_type, code)), "due_before": DUE_BEFORE.get((case_type, code))}
        for code, label, tier, step, max_dagen in STATES[case_type]
    ]
    assert published == expected


@pytest.mark.parametrize("case_type", sorted(STATES))
def test_transitions_equal_domain_table(engine: WorkflowEngine, case_type: str) -> None:
    published = engine.describe(case_type)["transitions"]

    def row(t: dict[str, Any]) -> Row:
        needs = frozenset(t["required_data"].get("required", []))
        return (t["trigger"], t["from"], t["to"], frozenset(t["roles"]), needs)

    assert sorted(map(row, published), key=repr) == sorted(TRANSITIONS[case_type], key=repr)
    assert len(published) == len(TRANSITIONS[case_type])


@pytest.mark.parametrize("case_type", sorted(STATES))
def test_guards_equal_domain_table(engine: WorkflowEngine, case_type: str) -> None:
    published = {
        (t["trigger"], t["from"]): t["guards"] for t in engine.describe(case_type)["transitions"] if t["guards"]
    }
    assert published == GUARDS[case_type]


@pytest.mark.parametrize("case_type", sorted(STATES))
def test_subject_and_initial_states(engine: WorkflowEngine, case_type: str) -> None:
    described = engine.describe(case_type)
    assert described["subject_type"] == SUBJECT_TYPES[case_type]
    assert described["initial_states"] == INITIAL_STATES[case_type]


def test_org_kind_roles_only_on_groepsscan_afronden(engine: WorkflowEngine) -> None:
    extra = {
        (case_type, t["trigger"], t["from"]): t["org_kind_roles"]
        for case_type in engine.case_types
        for t in engine.describe(case_type)["transitions"]
        if t["org_kind_roles"]
    }
    assert extra == {
        ("jeugdgroep", "groepsscan_afronden", "groepsscan"): [{"role": "medewerker", "organisation_kind": "politie"}]
    }


def test_data_categories_of_transitions(engine: WorkflowEngine) -> None:
    categories = {
        (case_type, t["trigger"]): t["data_category"]
        for case_type in engine.case_types
        for t in engine.describe(case_type)["transitions"]
        if t["data_category"]
    }
    assert categories == {
        ("jeugdgroep", "duiding_afronden"): "veiligheid",
        ("ex_gedetineerde", "screenen"): "justitie",
        ("ex_gedetineerde", "invrijheidstelling"): "justitie",
        ("ex_gedetineerde", "opnieuw_gedetineerd"): "justitie",
        ("ex_gedetineerde", "melding_18b_registreren"): "veiligheid",
        ("ex_gedetineerde", "beheersmaatregel_registreren"): "veiligheid",
        ("radicalisering", "besluit_geen_actie"): "veiligheid",
        ("radicalisering", "besluit_meer_informatie"): "veiligheid",
        ("radicalisering", "besluit_strafrechtelijk"): "veiligheid",
        ("radicalisering", "besluit_pga"): "veiligheid",
        ("woonoverlast", "doorzettingsbesluit"): "wonen",
        ("woonoverlast", "maatregel_registreren"): "veiligheid",
    }


def test_stagnation_rules(engine: WorkflowEngine) -> None:
    rules = {case_type: engine.describe(case_type)["stagnation"] for case_type in engine.case_types}
    assert rules == {
        "jeugdgroep": {"kind": "flag"},
        "woonoverlast": {
            "kind": "escalate",
            "from_states": ["casusniveau", "procesniveau", "managementniveau"],
            "trigger": "escaleren",
            "data": {"escalatiereden": "stagnatie_samenwerking"},
            "elsewhere": "flag",
        },
        "ex_gedetineerde": {"kind": "flag"},
        "radicalisering": {"kind": "flag"},
        "ijam": {"kind": "flag"},
    }


def test_plan_marking_and_regie(engine: WorkflowEngine) -> None:
    marks = {
        (lad, t.trigger)
        for lad in engine.case_types
        for t in engine.ladder(lad).transitions
        if t.marks_plan_vastgesteld
    }
    assert marks == {("jeugdgroep", "plan_vaststellen"), ("radicalisering", "plan_vaststellen")}
    regie = {(lad, t.trigger): t.sets_regie_from for lad in engine.case_types for t in engine.ladder(lad).transitions}
    assert {k: v for k, v in regie.items() if v} == {("woonoverlast", "oppakken"): "regie_organisation"}


def test_details_categories(engine: WorkflowEngine) -> None:
    assert {c: dict(engine.ladder(c).details_categories) for c in engine.case_types} == {
        "jeugdgroep": {"classificatie_legacy": "politie", "groepsduiding": "veiligheid"},
        "woonoverlast": {"doorzettingsbesluit": "wonen", "maatregelen": "veiligheid"},
        "ex_gedetineerde": {
            "basisvoorwaarden": "sociaal_domein",
            "verwachte_invrijheidstelling": "justitie",
            "invrijheidstelling_datum": "justitie",
            "meldingen_18b": "veiligheid",
            "beheersmaatregelen": "veiligheid",
        },
        "radicalisering": {"weegcriteria": "veiligheid", "weegtafel_besluit": "veiligheid",
                           "ook_strafrechtelijk": "veiligheid"},
        "ijam": {},
    }
