"""Examples in the OpenAPI document (issue 13 item 6): one for every request body, several where a body takes
different shapes (the triage decisions, a transition with and without data), and for the main answers (a case, a
problem). All fictional. Redocly's `no-invalid-media-type-examples` (scripts/lint-openapi) checks each one
against its schema, so an example that drifts from the contract fails CI.
"""

from __future__ import annotations

from typing import Any

_CASE_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
_SUBJECT_ID = "9b2d7c1e-6a1f-4a7e-9c3b-0d6f1e2a4b5c"

ORGANISATION = {"code": "politie-limburg", "name": "Politie Limburg", "kind": "politie"}
CONVENANT = {
    "code": "pga-maastricht-heuvelland", "title": "Convenant Zorg- en Veiligheidshuis Maastricht-Heuvelland",
    "case_types": ["woonoverlast", "ijam"], "purposes": ["voorkomen van escalatie en recidive"],
    "legal_basis": "Wet gemeentelijke schuldhulpverlening; Wgs, art. 6 lid 1 sub e AVG", "valid_from": "2026-01-01",
    "valid_until": "2028-12-31", "retention_months": 24,
    "parties": [
        {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie", "wonen", "zorg"]},
        {"organisation": "woonpunt", "role": "casuspartner", "data_categories": ["identificatie", "wonen"]},
    ],
}
CASE_CREATE = {
    "case_type": "woonoverlast", "title": "Overlast Voorbeeldstraat",
    "subjects": [{"type": "adres", "postcode": "6211 AB", "house_number": "12",
                  "persons": [{"name": "Bewoner Een", "birth_date": "1980-04-01"}]}],
    "details": {"ave_fase": 2},
}
SIGNAL = {
    "case_type_hint": "woonoverlast", "category": "wonen",
    "subject": {"type": "adres", "postcode": "6211 AB", "house_number": "12"},
    "description": "Derde melding geluidsoverlast deze maand", "observed_at": "2026-11-30T21:15:00+01:00",
    "external_ref": "WP-2026-00412",
}

REQUESTS: dict[str, dict[str, dict[str, Any]]] = {
    "createOrganisation": {"politie": {"value": ORGANISATION}},
    "createConvenant": {"convenant": {"value": CONVENANT}},
    "updateConvenant": {"extend": {"summary": "Extend the period (a new concept version when active)",
                                   "value": {"valid_until": "2029-12-31"}}},
    "terminateConvenant": {"terminate": {"value": {"reason": "Opgevolgd door het regionale convenant 2027"}}},
    "createCase": {"woonoverlast": {"value": CASE_CREATE}},
    "patchCase": {"title": {"value": {"title": "Overlast Voorbeeldstraat 12", "details": {"ave_fase": 3}}}},
    "fireTransition": {
        "without data": {"value": {"trigger": "triage_starten", "reason": "Meldingen van twee partners"}},
        "with data": {"value": {"trigger": "escaleren", "reason": "Afspraken worden niet nagekomen",
                                "data": {"escalatiereden": "stagnatie_samenwerking"}}},
    },
    "addParticipant": {"invite": {"value": {"organisation": "woonpunt"}}},
    "extendRetention": {"extend": {"value": {"months": 12, "reason": "Lopende strafzaak; dossier nodig tot de "
                                                                      "uitspraak"}}},
    "addMember": {"member": {"value": {"name": "Jongere C", "birth_date": "2009-06-14"}}},
    "addNote": {"note": {"value": {"category": "wonen", "text": "Huisbezoek afgelegd; afspraken gemaakt."}}},
    "putPlan": {"plan": {"value": {"summary": "Rust in de straat binnen drie maanden", "actions": [
        {"description": "Huisbezoek", "organisation": "woonpunt", "due_date": "2026-12-15"},
        {"description": "Gesprek met de buren", "organisation": "zvh-mh", "status": "in_uitvoering"}]}}},
    "updatePlanAction": {"done": {"value": {"status": "gereed", "toelichting": "Huisbezoek afgelegd op 12 december"}}},
    "submitSignal": {"signal": {"value": SIGNAL}},
    "submitSignalBatch": {"two": {"value": {"items": [
        {**SIGNAL, "idempotency_key": "wp-2026-00412"},
        {**SIGNAL, "external_ref": "WP-2026-00413", "idempotency_key": "wp-2026-00413",
         "subject": {"type": "persoon", "name": "Persoon Een", "birth_date": "1990-05-05"}}]}}},
    "createSubscription": {
        "own organisation": {"value": {"url": "https://hooks.politie.example/casusregie",
                                       "event_types": ["case.transitioned", "case.participant_added"]}},
        "for a partner (beheerder)": {"value": {"url": "https://crm.woonpunt.example/webhooks/zvh",
                                                "event_types": ["signal.triaged"], "organisation": "woonpunt",
                                                "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
    },
    "createMeeting": {"weegtafel": {"value": {
        "meeting_type": "weegtafel", "title": "Regionale weegtafel december", "scheduled_at": "2026-12-10T09:00:00Z",
        "chair_organisation": "gemeente-maastricht", "invited_organisations": ["politie-limburg", "om-limburg"]}}},
    "patchMeeting": {
        "adopt": {"summary": "Adopt the besluitenlijst", "value": {"status": "vastgesteld"}},
        "move": {"value": {"scheduled_at": "2026-12-17T09:00:00Z", "invited_organisations": ["politie-limburg"]}},
    },
    "addAgendaItem": {"case": {"value": {"case_id": _CASE_ID, "question": "Is een persoonsgerichte aanpak nodig?"}}},
    "addDecision": {
        "firing a trigger": {"value": {
            "text": "Persoonsgerichte aanpak; de politie brengt het netwerk in beeld.", "data_category": "veiligheid",
            "attendees": ["gemeente-maastricht", "politie-limburg", "om-limburg"], "trigger": "besluit_pga",
            "data": {"weegcriteria": {"ideologie": True}, "motivering": "Zorgen gedeeld door politie en gemeente"},
            "actions": [{"description": "Netwerkanalyse", "organisation": "politie-limburg",
                         "due_date": "2027-01-15"}]}},
        "a correction": {"value": {
            "text": "Correctie: de aanpak gaat samen met een strafrechtelijk traject.", "data_category": "veiligheid",
            "attendees": ["gemeente-maastricht", "om-limburg"], "corrects": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}},
    },
    "triageSignal": {
        "new case": {"value": {"decision": "nieuwe_casus", "case_type": "woonoverlast", "reason": "Aanhoudend"}},
        "link": {"value": {"decision": "koppelen", "case_id": _CASE_ID, "reason": "Zelfde adres"}},
        "reject": {"value": {"decision": "afwijzen", "reason": "Geen zorg- of veiligheidsvraag",
                             "reason_code": "buiten_doelgroep"}},
    },
    "searchSubjects": {
        "by BSN": {"value": {"bsn": "111222333"}},
        "by name and birth date": {"value": {"name": "Bewoner Een", "birth_date": "1980-04-01"}},
    },
    "sendSignalFeedback": {"feedback": {"value": {
        "message": "Dank voor uw melding; de casus is opgepakt en de casusregisseur neemt contact met u op."}}},
}

PROBLEM_422 = {
    "type": "urn:casusregie:problem:validation-error", "title": "Validation failed", "status": 422,
    "detail": "The request has invalid or missing fields", "request_id": "0af7651916cd43dd8448eb211c80319c",
    "errors": [{"loc": ["body", "title"], "msg": "Field required", "type": "missing"}],
}
CASE = {
    "id": _CASE_ID, "reference": "AVE-2026-0042", "case_type": "woonoverlast", "state": "casusniveau",
    "state_label": "Casusniveau", "tier": 1, "step": None, "version": 4, "due_at": "2027-01-14T09:00:00Z",
    "overdue": False, "title": "Overlast Voorbeeldstraat", "summary": None, "details": {"ave_fase": 2},
    "withheld_details": [], "opened_by_organisation": "zvh-mh", "regie_organisation": "woonpunt", "regie_gap": False,
    "regisseur": None, "related_case_id": None,
    "participants": [{"organisation": "zvh-mh", "basis": "opener", "added_at": "2026-11-02T10:00:00Z"},
                     {"organisation": "woonpunt", "basis": "regie", "added_at": "2026-11-02T10:05:00Z"}],
    "subjects": [], "visible_categories": ["identificatie", "wonen"], "created_at": "2026-11-02T10:00:00Z",
    "updated_at": "2026-11-16T14:30:00Z", "closed_at": None,
}
# (operationId, status) -> named examples of the answer
RESPONSES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("getCase", "200"): {"case": {"value": CASE}},
    ("createCase", "422"): {"missing field": {"value": PROBLEM_422}},
}


def declare(document: dict[str, Any]) -> dict[str, Any]:
    for path_item in document["paths"].values():
        for operation in path_item.values():
            op_id = operation.get("operationId")
            if op_id in REQUESTS:
                operation["requestBody"]["content"]["application/json"]["examples"] = REQUESTS[op_id]
            for status, response in operation.get("responses", {}).items():
                examples = RESPONSES.get((op_id, status))
                if examples:
                    media = "application/json" if status.startswith("2") else "application/problem+json"
                    response["content"][media]["examples"] = examples
    return document
