"""Fictional demo data for `casusregie demo`: organisations, an active convenant, cases on every ladder.

Everything is made up; no real person or address. Data goes in through the services, so the demo's
audit log is a real chain from the first entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import date, timedelta
from typing import Any

from app import access
from app.auth.principal import Principal
from app.auth.tokens import issue_dev_token
from app.cases import notes, participants, plan_actions, plans, transitions
from app.cases import service as cases
from app.cases.schemas import CaseCreate, PlanActionIn, PlanActionPatch, PlanPut, TransitionRequest
from app.config import Settings
from app.convenants import service as convenants
from app.convenants.schemas import ConvenantCreate
from app.kit import clock
from app.kit.database import Database
from app.kit.migrations_state import upgrade_to_head
from app.meetings import decisions as meeting_decisions
from app.meetings import service as meetings
from app.meetings.schemas import AgendaItemCreate, DecisionCreate, MeetingCreate, MeetingPatch
from app.organisations import service as organisations
from app.organisations.schemas import OrganisationCreate
from app.signals import feedback as signal_feedback
from app.signals import service as signals
from app.signals import triage as signal_triage
from app.signals.schemas import FeedbackIn, Koppelen, SignalCreate
from app.unit_of_work import unit_of_work
from app.vocabulary import DataCategory, MeetingStatus, MeetingType, OrganisationKind, TriageDecision

DEMO_ORGANISATIONS: list[tuple[str, str, OrganisationKind]] = [
    ("zvh-mh", "Zorg- en Veiligheidshuis Maastricht-Heuvelland", OrganisationKind.zvh),
    ("gemeente-maastricht", "Gemeente Maastricht (OOV)", OrganisationKind.gemeente),
    ("politie-limburg", "Politie Limburg, basisteam Maastricht", OrganisationKind.politie),
    ("om-limburg", "Openbaar Ministerie Limburg", OrganisationKind.om),
    ("reclassering-zuid", "Reclassering Zuid", OrganisationKind.reclassering),
    ("ggz-zuid", "GGZ Zuid (fictief)", OrganisationKind.ggz),
    ("jeugdzorg-zuid", "Jeugdzorg Zuid (fictief)", OrganisationKind.jeugdzorg),
    ("veilig-thuis-zl", "Veilig Thuis Zuid-Limburg", OrganisationKind.veilig_thuis),
    ("woonpunt", "Woonpunt (woningcorporatie)", OrganisationKind.woningcorporatie),
    ("school-noord", "Scholengemeenschap Noord (fictief)", OrganisationKind.onderwijs),
]

DEMO_USERS = [
    ("procesregisseur @ zvh-mh", "zvh-mh", ["procesregisseur"], "demo-procesregisseur"),
    ("casusregisseur @ gemeente-maastricht", "gemeente-maastricht", ["casusregisseur"], "demo-casusregisseur"),
    ("medewerker @ politie-limburg", "politie-limburg", ["medewerker"], "demo-politie"),
    ("medewerker @ woonpunt", "woonpunt", ["medewerker"], "demo-woonpunt"),
    ("melder @ woonpunt", "woonpunt", ["melder"], "demo-melder"),
    ("bestuurder @ gemeente-maastricht", "gemeente-maastricht", ["bestuurder"], "demo-bestuurder"),
    ("beheerder @ zvh-mh", "zvh-mh", ["beheerder"], "demo-beheerder"),
    ("auditor @ zvh-mh", "zvh-mh", ["auditor"], "demo-auditor"),
]


ALL = ["identificatie", "wonen", "sociaal_domein", "onderwijs", "zorg", "politie", "justitie", "veiligheid"]
DEMO_CONVENANT: dict[str, Any] = {
    "code": "pga-mh-2025",
    "title": "Convenant PGA Maastricht-Heuvelland (demo)",
    "case_types": ["jeugdgroep", "woonoverlast", "ex_gedetineerde", "radicalisering", "ijam"],
    "purposes": ["voorkomen van escalatie en recidive", "zicht op elkaar in complexe casuïstiek"],
    "legal_basis": "Wgs - PGA complexe casuistiek",
    "valid_from": date(2025, 1, 1),
    "valid_until": date(2030, 12, 31),
    "retention_months": 24,
    "parties": [
        {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ALL},
        {"organisation": "gemeente-maastricht", "role": "kernpartner",
         "data_categories": ["identificatie", "wonen", "sociaal_domein", "veiligheid"]},
        {"organisation": "politie-limburg", "role": "kernpartner",
         "data_categories": ["identificatie", "wonen", "politie", "veiligheid"]},
        {"organisation": "om-limburg", "role": "kernpartner",
         "data_categories": ["identificatie", "justitie", "politie", "veiligheid"]},
        {"organisation": "reclassering-zuid", "role": "casuspartner",
         "data_categories": ["identificatie", "justitie", "sociaal_domein"]},
        {"organisation": "ggz-zuid", "role": "casuspartner", "data_categories": ["identificatie", "zorg"]},
        {"organisation": "woonpunt", "role": "casuspartner", "data_categories": ["identificatie", "wonen"]},
        {"organisation": "school-noord", "role": "casuspartner", "data_categories": ["identificatie", "onderwijs"]},
    ],
}

# (case body, participants, [(trigger, data)], plan actions or None, note (category, text) or None). The level
# owner of the opening state is brought in by opening itself (DOMAIN.md "Regie and level owners": the gemeente for
# jeugdgroep, ex_gedetineerde and IJAM's netwerkoverleg), so it is not listed again.
# Relative to the day the demo runs: a screened release date must be plausible (app/workflows/release_dates.py).
_EXPECTED_RELEASE = (date.today() + timedelta(days=120)).isoformat()
DEMO_CASES: list[tuple[dict[str, Any], list[str], list[tuple[str, dict[str, Any]]], list[str] | None,
                       tuple[str, str] | None]] = [
    ({"case_type": "woonoverlast", "title": "Aanhoudende geluidsoverlast Brusselsestraat (fictief)",
      "subjects": [{"type": "adres", "postcode": "6211 PE", "house_number": "99",
                    "persons": [{"name": "A. Voorbeeld"}]}]},
     ["woonpunt", "politie-limburg", "gemeente-maastricht"],
     [("triage_starten", {}), ("oppakken", {"ave_fase": 3, "regie_organisation": "woonpunt",
                                            "criteria": {"a": True, "b": True, "c": True, "d": False}}),
      ("escaleren", {"escalatiereden": "stagnatie_samenwerking"})], None,
     ("wonen", "Drie meldingen van buren in twee weken; corporatie plant huisbezoek.")),
    # Taken up 60 days ago and stalled since (casusniveau allows 42): the worker escalates it when the demo starts.
    ({"case_type": "woonoverlast", "title": "Burenruzie loopt vast (fictief)", "opened_days_ago": 60,
      "subjects": [{"type": "adres", "postcode": "6212 XY", "house_number": "3"}]},
     ["woonpunt", "gemeente-maastricht"],
     [("triage_starten", {}), ("oppakken", {"ave_fase": 2, "regie_organisation": "woonpunt",
                                            "criteria": {"a": True, "b": True, "c": True, "d": False}})], None, None),
    ({"case_type": "woonoverlast", "title": "Vervuilde woning met zorgen om bewoner (fictief)",
      "subjects": [{"type": "adres", "postcode": "6221 AB", "house_number": "7"}]},
     ["woonpunt", "ggz-zuid"], [("triage_starten", {})], None, None),
    ({"case_type": "jeugdgroep", "title": "Jeugdgroep Mariaberg (fictief)",
      "subjects": [{"type": "groep", "name": "Groep Mariaberg", "area": "Noordwest",
                    "members": [{"name": "Jongere A"}, {"name": "Jongere B"}]}]},
     ["politie-limburg", "school-noord"],
     [("start_verkenning", {}), ("namenlijst_opstellen", {"noodzaak": "Toename incidenten rond winkelcentrum"})],
     ["Groepsscan politie", "Gesprekken met ouders"], ("politie", "Zes registraties in drie maanden.")),
    ({"case_type": "ex_gedetineerde", "title": "Terugkeer na detentie (fictief)",
      "subjects": [{"type": "persoon", "name": "B. Voorbeeld", "birth_date": "1988-04-12"}]},
     ["reclassering-zuid"],
     [("screenen", {"verwachte_invrijheidstelling": _EXPECTED_RELEASE}), ("terugkeer_voorbereiden", {})], None,
     ("justitie", "Reclasseringsadvies: toezicht met meldplicht.")),
    ({"case_type": "radicalisering", "title": "Signaal zorgen om online gedrag (fictief)",
      "subjects": [{"type": "persoon", "name": "C. Voorbeeld", "birth_date": "2004-10-01"}]},
     ["politie-limburg", "om-limburg"], [("voorwegen", {}), ("naar_weegtafel", {})], None, None),
    # Opened at the school's tier (regie: the school) and moved up: regie passes to the municipality by itself.
    ({"case_type": "ijam", "title": "Schoolverzuim en overlast (fictief)", "initial_state": "knooppunt_school",
      "subjects": [{"type": "persoon", "name": "D. Voorbeeld", "birth_date": "2010-02-02"}]},
     ["school-noord", "politie-limburg"], [("opschalen", {})], ["Gesprek met jongere en ouders"],
     ("onderwijs", "Verzuim 40% dit kwartaal.")),
    # Closed early, with its outflow reason (DOMAIN.md "Closing a case").
    ({"case_type": "woonoverlast", "title": "Overlast voorbij na verhuizing (fictief)",
      "subjects": [{"type": "adres", "postcode": "6217 KL", "house_number": "21"}]},
     ["woonpunt"], [("triage_starten", {}), ("afsluiten", {"uitstroomreden": "verhuisd"})], None, None),
    # Cases waiting on something of their own (GET …/transitions: `ready: false` with what is `missing`): a group
    # whose duiding waits for a concept plan, a PGA without a plan to adopt (withheld from the ggz, which lacks
    # veiligheid), and a nazorg case that cannot close while basisvoorwaarden are unknown.
    ({"case_type": "jeugdgroep", "title": "Jeugdgroep Wittevrouwenveld (fictief)",
      "subjects": [{"type": "groep", "name": "Groep Wittevrouwenveld", "area": "Noordoost",
                    "members": [{"name": "Jongere C"}]}]},
     ["politie-limburg"],
     [("start_verkenning", {}), ("namenlijst_opstellen", {"noodzaak": "Intimidatie bij de bushalte"}),
      ("groepsscan_afronden", {"groepsscan_datum": "2026-11-20"})], None, None),
    ({"case_type": "radicalisering", "title": "Weegtafel besloot tot persoonsgerichte aanpak (fictief)",
      "subjects": [{"type": "persoon", "name": "E. Voorbeeld", "birth_date": "2001-06-06"}]},
     ["politie-limburg", "ggz-zuid"],
     [("voorwegen", {}), ("naar_weegtafel", {}),
      ("besluit_pga", {"weegcriteria": {"ideologie": "zorgelijk"}, "motivering": "Risico op verdere radicalisering"})],
     None, None),
    ({"case_type": "ex_gedetineerde", "title": "Nazorg na vrijlating (fictief)",
      "subjects": [{"type": "persoon", "name": "F. Voorbeeld", "birth_date": "1979-07-07"}],
      "details": {"basisvoorwaarden": {"identiteitsbewijs": "geregeld", "onderdak": "in_behandeling"}}},
     ["reclassering-zuid"],
     [("screenen", {"verwachte_invrijheidstelling": _EXPECTED_RELEASE}), ("terugkeer_voorbereiden", {}),
      ("invrijheidstelling", {"invrijheidstelling_datum": date.today().isoformat()})],
     ["Woning zoeken", "Uitkering aanvragen"], None),
]


async def seed(settings: Settings) -> None:

    access.configure(access.load_policies(settings.policies_dir))
    db = Database(settings)
    beheerder = Principal(sub="demo-beheerder", org="zvh-mh", roles=("beheerder",))
    regisseur = Principal(sub="demo-procesregisseur", org="zvh-mh", roles=("procesregisseur",))
    key = settings.effective_bsn_hash_key
    try:
        async with unit_of_work(db) as session:
            for code, name, kind in DEMO_ORGANISATIONS:
                await organisations.create(session, beheerder, OrganisationCreate(code=code, name=name, kind=kind))
            view = await convenants.create(session, beheerder, ConvenantCreate.model_validate(DEMO_CONVENANT))
            await convenants.activate(session, beheerder, view.convenant.id)
        case_ids: list[uuid.UUID] = []
        opened: dict[str, uuid.UUID] = {}
        for body, partners, steps, actions, note in DEMO_CASES:
            body = dict(body)
            days_ago = int(body.pop("opened_days_ago", 0))
            with clock.frozen(clock.now() - timedelta(days=days_ago)) if days_ago else contextlib.nullcontext():
                case_id = await _seed_case(db, regisseur, key, body, partners, steps, actions, note)
            case_ids.append(case_id)
            opened[str(body["title"])] = case_id
        await _seed_partner_actions(db, regisseur, case_ids[0])
        await _seed_signal_with_feedback(db, regisseur, key, case_ids[0])
        await _seed_meeting(db, regisseur, opened[WEEGTAFEL_CASE])
    finally:
        await db.dispose()


async def _seed_case(db: Database, regisseur: Principal, key: str, body: dict[str, Any], partners: list[str],
                     steps: list[tuple[str, dict[str, Any]]], actions: list[str] | None,
                     note: tuple[str, str] | None) -> uuid.UUID:
    async with unit_of_work(db) as session:
        loaded = await cases.create(session, regisseur, CaseCreate.model_validate(body), bsn_key=key)
        case_id = loaded.case.id
        taking_part = {p.organisation for p in loaded.case.participants}  # the level owner came in at opening
        for org in (o for o in partners if o not in taking_part):
            await participants.add(session, regisseur, case_id, org, None)
        if actions:
            await plans.put(session, regisseur, case_id, PlanPut.model_validate(
                {"summary": "Plan van aanpak (demo)",
                 "actions": [{"description": d, "organisation": partners[0]} for d in actions]}), None)
        if note:
            await notes.add(session, regisseur, case_id, note[0], note[1])
        for trigger, data in steps:
            await transitions.fire(session, regisseur, case_id, TransitionRequest(
                trigger=trigger, reason="demo: stap in het proces", data=data), None)
    return case_id


# Woonpunt's melder reports the Brusselsestraat address once more; the ZVH links it to the case already open there
# (the first demo case) and tells the corporation so. `melder @ woonpunt` sees `gekoppeld`, the case's reference,
# its contact organisation and this message (GET /v1/signals), nothing of the case itself.
DEMO_SIGNAL: dict[str, Any] = {
    "case_type_hint": "woonoverlast",
    "subject": {"type": "adres", "postcode": "6211 PE", "house_number": "99"},
    "description": "Opnieuw klachten van omwonenden over nachtelijk lawaai (fictief)",
    "category": "wonen",
    "external_ref": "WP-DEMO-1",
}
DEMO_FEEDBACK = "Dank voor uw melding. Deze is gekoppeld aan de lopende casus; de casusregisseur neemt contact op."


async def _seed_signal_with_feedback(db: Database, regisseur: Principal, key: str, case_id: uuid.UUID) -> None:
    melder = Principal(sub="demo-melder", org="woonpunt", roles=("melder",))
    async with unit_of_work(db) as session:
        submitted = await signals.submit(session, melder, SignalCreate.model_validate(DEMO_SIGNAL), DEMO_SIGNAL,
                                         "demo-signal-1", bsn_key=key)
    signal_id = uuid.UUID(submitted.signal_id)
    async with unit_of_work(db) as session:
        await signal_triage.triage(session, regisseur, signal_id, Koppelen(
            decision=TriageDecision.koppelen, case_id=case_id, reason="demo: zelfde adres als de lopende casus"))
    async with unit_of_work(db) as session:
        await signal_feedback.send(session, regisseur, signal_id, FeedbackIn(message=DEMO_FEEDBACK))


# Issue 15: the plan of the first AVE case gives actions to two partners; the police's is overdue, the housing
# corporation marks its own done through the partners' path (PATCH …/plan/actions/{id}), as it would from its CRM.
# Their medewerkers see them in GET /v1/work/actions; the regie holder sees the change on the plan.
DEMO_PARTNER_ACTIONS: list[tuple[str, str, int]] = [
    ("Huisbezoek en afspraken met de bewoner", "woonpunt", 7),
    ("Buurtonderzoek en gesprek met melders", "politie-limburg", -5),
    ("Afstemming met de wijkagent over de aanpak", "woonpunt", 21),
]


async def _seed_partner_actions(db: Database, regisseur: Principal, case_id: uuid.UUID) -> None:
    today = clock.today()
    async with unit_of_work(db) as session:
        _, plan = await plans.put(session, regisseur, case_id, PlanPut.model_validate(
            {"summary": "Rust in de straat: afspraken met bewoner en buren (demo)",
             "actions": [{"description": d, "organisation": org, "due_date": today + timedelta(days=days)}
                         for d, org, days in DEMO_PARTNER_ACTIONS]}), None)
        done = plan.actions[0].id
    partner = Principal(sub="demo-woonpunt", org="woonpunt", roles=("medewerker",))
    async with unit_of_work(db) as session:
        await plan_actions.update(session, partner, case_id, done, PlanActionPatch(
            status="gereed", toelichting="Huisbezoek afgelegd; bewoner houdt zich aan de afspraken"), None)


# The radicalisering case the demo brings to the weegtafel, and the weegtafel that decides on it.
WEEGTAFEL_CASE = "Signaal zorgen om online gedrag (fictief)"


async def _seed_meeting(db: Database, regisseur: Principal, case_id: uuid.UUID) -> None:
    """A regional weegtafel (chaired by the municipality, with politie and OM) that decides on a persoonsgerichte
    aanpak for the radicalisering case, with a first action for the plan, and adopts its besluitenlijst."""
    async with unit_of_work(db) as session:
        meeting = await meetings.create(session, regisseur, MeetingCreate(
            meeting_type=MeetingType.weegtafel, title="Regionale weegtafel (demo)",
            scheduled_at=clock.now() - timedelta(days=1), chair_organisation="gemeente-maastricht",
            invited_organisations=["politie-limburg", "om-limburg"]))
        _, item, _, _ = await meetings.add_item(session, regisseur, meeting.id, AgendaItemCreate(
            case_id=case_id, question="Is een persoonsgerichte aanpak nodig?"))
        await meeting_decisions.decide(session, regisseur, meeting.id, item.id, DecisionCreate(
            text="Persoonsgerichte aanpak; de politie brengt het netwerk in beeld (demo).",
            data_category=DataCategory.veiligheid,
            attendees=["gemeente-maastricht", "politie-limburg", "om-limburg", "zvh-mh"], trigger="besluit_pga",
            data={"weegcriteria": {"ideologie": True, "geweldsbereidheid": "laag"},
                  "motivering": "Zorgen gedeeld door politie en gemeente"},
            actions=[PlanActionIn(description="Netwerkanalyse", organisation="politie-limburg")]))
        await meetings.patch(session, regisseur, meeting.id, MeetingPatch(status=MeetingStatus.vastgesteld), None)


def prepare_demo(settings: Settings) -> list[tuple[str, str]]:
    upgrade_to_head(settings)
    asyncio.run(seed(settings))
    return [(label, issue_dev_token(settings, org=org, roles=roles, sub=sub)) for label, org, roles, sub in DEMO_USERS]
