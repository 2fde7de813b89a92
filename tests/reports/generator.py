"""A seeded random dataset for the monitor report (issue 18), and the report it must give, computed here in plain
Python from the in-memory records, following /work/shared/REPORTS-SPEC.md literally and independently of
app/reports (a figure computed two ways must agree).

    ds = generate(random.Random(seed))
    await insert(ds, db_url)                     # into a freshly migrated database (Core inserts)
    expected_report(ds, date(2025, 7, 1), date(2025, 12, 31), None, as_of)

Histories walk the real ladders (app/workflows): the creation transition (`aanmaken`, from_state NULL, version 1)
at the ladder's initial state, then random TransitionDefs whose source is the current state, reflexive ones,
closings (with `uitstroomreden`) and `heropenen` included. The casus columns agree with the history's end, and
each step records `from_state_entered_at` as the app writes it. `dataset_from_database` reads the same records
back from a database the app wrote itself (cases made through the API), for the same expected report.

Every personal or free-text value (names, BSN hashes, titles, descriptions, postcodes of the generated data) holds
a distinctive marker (`SECRET_MARKERS`), so that a test can assert none of it appears in a report.
"""

from __future__ import annotations

import calendar
import itertools
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert as sql_insert
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.cases.models import Case, CasePlan, CasePlanAction, CaseSubject, CaseTransition
from app.organisations.models import Organisation
from app.signals.models import Signal
from app.subjects.models import Subject
from app.vocabulary import Direction, Uitstroomreden
from app.workflows.closing import EARLY_REASONS, VroegtijdigAfsluiten
from app.workflows.codes import CREATED
from app.workflows.engine import get_engine
from app.workflows.fields import Escalatiereden
from app.workflows.model import FINAL_STATE, Ladder, TransitionDef

# --- the vocabulary of the report (REPORTS-SPEC.md) -------------------------------------------------------------

SUPPRESSED = "<5"
BELOW = 5
DIMENSIONS = ("case_type", "state", "tier", "direction", "reason", "uitstroomreden", "organisation")
CSV_COLUMNS = ("code", "label", "unit", "from", "to", "as_of", *DIMENSIONS, "count", "value")
# Labels are Dutch wording of the implementation's choice (the spec names none): compared as "a non-empty string,
# the same for every occurrence of the code".
ANY_LABEL = object()

# (code, unit, kind): kind "period" (given per period / month) or "now" (once, at as_of).
INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("jeugdgroepen_in_beeld", "aantal", "period"),
    ("unieke_subjecten_in_beeld", "aantal", "period"),
    ("plannen_van_aanpak_jeugdgroepen", "aantal", "period"),
    ("jeugd_opgeschaald_pga", "aantal", "period"),
    ("woonoverlast_aangepakt", "aantal", "period"),
    ("ave_escalaties", "aantal", "period"),
    ("signalen_radicalisering", "aantal", "period"),
    ("beheersmaatregelen_ex_gedetineerden", "aantal", "period"),
    ("signalen_per_bron", "aantal", "period"),
    ("doorlooptijd_mediaan_dagen", "dagen", "period"),
    ("doorlooptijd_p90_dagen", "dagen", "period"),
    ("escalaties", "aantal", "period"),
    ("uitstroom", "aantal", "period"),
    ("stagnaties", "aantal", "now"),
    ("acties_over_termijn", "aantal", "now"),
)
INDICATOR_CODES = tuple(code for code, _, _ in INDICATORS)

# --- the dataset ----------------------------------------------------------------------------------------------

MARKER = "Qx7"  # in every personal / free-text value the generator writes
SECRET_MARKERS = (MARKER,)

ORGANISATIONS: dict[str, str] = {
    "zvh-mh": "zvh",
    "gemeente-mh": "gemeente",
    "politie-lb": "politie",
    "woonpunt": "woningcorporatie",
    "school-mh": "onderwijs",
    "ggz-mh": "ggz",
    "om-lb": "om",
    "reclassering": "reclassering",
}
# Signals and plan actions lean on a few organisations, so that some cells are large and some small.
ORG_WEIGHTS: dict[str, int] = {"zvh-mh": 2, "gemeente-mh": 6, "politie-lb": 10, "woonpunt": 5, "school-mh": 3,
                               "ggz-mh": 1, "om-lb": 1, "reclassering": 1}
CASE_MIX: dict[str, int] = {"jeugdgroep": 40, "woonoverlast": 42, "ex_gedetineerde": 28, "radicalisering": 20,
                            "ijam": 42}
HINT_WEIGHTS: dict[str, int] = {"jeugdgroep": 3, "woonoverlast": 4, "ex_gedetineerde": 2, "radicalisering": 3,
                                "ijam": 3}
PREFIX = {"jeugdgroep": "JG", "woonoverlast": "WO", "ex_gedetineerde": "EX", "radicalisering": "RA", "ijam": "IJ"}

START = datetime(2025, 1, 1, tzinfo=UTC)
HORIZON = datetime(2026, 3, 18, tzinfo=UTC)  # nothing is generated at or after this moment
AS_OF_DAY = date(2026, 3, 25)  # plan action due dates lie around it


def new_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass(slots=True)
class SubjectRec:
    id: uuid.UUID
    type: str
    created_at: datetime
    name: str | None = None
    birth_date: date | None = None
    bsn_hash: str | None = None
    postcode: str | None = None
    house_number: str | None = None
    area: str | None = None
    member_of: uuid.UUID | None = None


@dataclass(slots=True)
class TransitionRec:
    id: uuid.UUID
    version: int
    trigger: str
    from_state: str | None
    to_state: str
    data: dict[str, Any]
    data_category: str | None
    created_at: datetime
    # When the case entered from_state (the app writes it on every step since migration 0018): the created_at
    # of the previous step that changed the state; None on the creation step.
    from_state_entered_at: datetime | None = None


@dataclass(slots=True)
class CaseRec:
    id: uuid.UUID
    case_type: str
    reference: str
    title: str
    opened_by: str
    transitions: list[TransitionRec]
    subject_ids: list[uuid.UUID] = field(default_factory=list)
    # Read back from a database the app wrote (dataset_from_database): the stored closed_at and due_at, which the
    # figures of the moment read, instead of those derived from the history here.
    stored: dict[str, datetime | None] | None = None

    @property
    def created_at(self) -> datetime:
        return self.transitions[0].created_at

    @property
    def last(self) -> TransitionRec:
        return self.transitions[-1]

    @property
    def state(self) -> str:
        return self.last.to_state

    @property
    def closed_at(self) -> datetime | None:
        return self.last.created_at if self.state == FINAL_STATE else None

    @property
    def uitstroomreden(self) -> str | None:
        return self.last.data.get("uitstroomreden") if self.state == FINAL_STATE else None

    @property
    def state_entered_at(self) -> datetime:
        changing = [t for t in self.transitions if t.from_state is None or t.from_state != t.to_state]
        return changing[-1].created_at

    @property
    def tier(self) -> int | None:
        return ladder(self.case_type).state(self.state).tier

    @property
    def due_at(self) -> datetime | None:
        return ladder(self.case_type).state(self.state).due_at({}, self.state_entered_at)


@dataclass(slots=True)
class SignalRec:
    id: uuid.UUID
    source_organisation: str
    case_type_hint: str
    subject_id: uuid.UUID
    description: str
    category: str
    status: str
    created_at: datetime
    case_id: uuid.UUID | None = None  # set when gekoppeld


@dataclass(slots=True)
class ActionRec:
    id: uuid.UUID
    position: int
    description: str
    organisation: str
    due_date: date | None
    status: str


@dataclass(slots=True)
class PlanRec:
    id: uuid.UUID
    case_id: uuid.UUID
    version: int
    status: str
    created_at: datetime
    actions: list[ActionRec]


@dataclass
class Dataset:
    organisations: dict[str, str]
    subjects: list[SubjectRec]
    cases: list[CaseRec]
    signals: list[SignalRec]
    plans: list[PlanRec]

    @property
    def subject_types(self) -> dict[uuid.UUID, str]:
        return {s.id: s.type for s in self.subjects}

    @property
    def transition_count(self) -> int:
        return sum(len(c.transitions) for c in self.cases)


def ladder(case_type: str) -> Ladder:
    return get_engine().ladder(case_type)


def _by_source(lad: Ladder) -> dict[str, list[TransitionDef]]:
    out: dict[str, list[TransitionDef]] = defaultdict(list)
    for t in lad.transitions:
        out[t.source].append(t)
    return out


_SOURCES: dict[str, dict[str, list[TransitionDef]]] = {}


def sources(case_type: str) -> dict[str, list[TransitionDef]]:
    if case_type not in _SOURCES:
        _SOURCES[case_type] = _by_source(ladder(case_type))
    return _SOURCES[case_type]


def random_gap(rng: random.Random) -> timedelta:
    """Hours to weeks: stays of many lengths."""
    r = rng.random()
    if r < 0.25:
        return timedelta(seconds=rng.randint(600, 48 * 3600))
    if r < 0.8:
        return timedelta(seconds=rng.randint(86400, 16 * 86400))
    return timedelta(seconds=rng.randint(14 * 86400, 70 * 86400))


def _snap(rng: random.Random, moment: datetime, previous: datetime | None) -> datetime:
    """Now and then exactly midnight UTC (a period or month boundary may fall on it), never before `previous`."""
    if rng.random() < 0.08:
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if previous is None or midnight > previous:
            return midnight
    return moment


def _weight(t: TransitionDef) -> float:
    if t.closes:
        # Early closures of a youth group less often, so that groups reach their plan van aanpak.
        early = t.source in ("verkenning", "groepsscan", "groepsduiding", "prioritering", "planvorming")
        return 0.12 if early else 0.22
    if t.reflexive:
        return 0.45
    return 1.0


def transition_data(rng: random.Random, t: TransitionDef) -> dict[str, Any]:
    """The data a history row of `t` carries, as far as the report reads it (and a little more)."""
    data: dict[str, Any] = {}
    if t.closes:
        if rng.random() < 0.03:
            return data  # an old row without a reason: reported as uitstroomreden null
        if t.uitstroomreden is not None:
            data["uitstroomreden"] = t.uitstroomreden.value
        elif t.data_model is VroegtijdigAfsluiten:
            data["uitstroomreden"] = rng.choice(EARLY_REASONS).value
        else:
            data["uitstroomreden"] = rng.choice(list(Uitstroomreden)).value
    elif t.trigger == "escaleren":
        data["escalatiereden"] = rng.choice(list(Escalatiereden)).value
    elif t.direction == Direction.up and rng.random() < 0.25:
        data["escalatiereden"] = rng.choice(list(Escalatiereden)).value
    elif t.trigger == "beheersmaatregel_registreren":
        data["maatregel"] = "locatieverbod"
    elif t.trigger == "ave_fase_wijzigen":
        data["ave_fase"] = rng.randint(1, 4)
    return data


Step = tuple[str, str | None, str, dict[str, Any], str | None, datetime]


def walk(rng: random.Random, case_type: str, created_at: datetime, horizon: datetime,
         max_steps: int) -> list[Step]:
    """A history on the real ladder: (trigger, from_state, to_state, data, data_category, created_at) per row, the
    creation first; every row strictly later than the one before and before `horizon`."""
    lad = ladder(case_type)
    state = rng.choice(lad.initial_states)
    steps: list[Step] = [(CREATED, None, state, {}, None, created_at)]
    at = created_at
    by_source = sources(case_type)
    for _ in range(max_steps):
        if state == FINAL_STATE and rng.random() < 0.6:
            break
        options = by_source.get(state, [])
        if not options:
            break
        t = rng.choices(options, weights=[_weight(o) for o in options])[0]
        nxt = _snap(rng, at + random_gap(rng), at)
        if nxt >= horizon:
            break
        steps.append((t.trigger, t.source, t.dest, transition_data(rng, t), t.data_category, nxt))
        state, at = t.dest, nxt
    return steps


def _person(rng: random.Random, created_at: datetime, member_of: uuid.UUID | None = None) -> SubjectRec:
    tag = f"{rng.getrandbits(40):010x}"
    return SubjectRec(new_id(rng), "persoon", created_at, name=f"{MARKER} Persoon {tag}",
                      birth_date=date(rng.randint(1960, 2011), rng.randint(1, 12), rng.randint(1, 28)),
                      bsn_hash=f"{MARKER.lower()}{rng.getrandbits(240):060x}"[:64], member_of=member_of)


def generate(rng: random.Random, *, case_mix: dict[str, int] | None = None, n_signals: int = 170,
             start: datetime = START, horizon: datetime = HORIZON, as_of_day: date = AS_OF_DAY,
             max_steps: tuple[int, int] = (4, 26)) -> Dataset:
    mix = case_mix or CASE_MIX
    subjects: list[SubjectRec] = []
    cases: list[CaseRec] = []
    signals: list[SignalRec] = []
    plans: list[PlanRec] = []
    orgs = list(ORG_WEIGHTS)
    weights = list(ORG_WEIGHTS.values())
    span = (horizon - start - timedelta(days=3)).total_seconds()
    groups_persons: list[list[SubjectRec]] = []
    counters: Counter[str] = Counter()
    types = [t for t, n in mix.items() for _ in range(n)]
    rng.shuffle(types)
    for case_type in types:
        created = _snap(rng, start + timedelta(seconds=rng.uniform(0, span)), None).replace(microsecond=0)
        steps = walk(rng, case_type, created, horizon, rng.randint(*max_steps))
        cid = new_id(rng)
        trs: list[TransitionRec] = []
        version = 0
        entered: datetime | None = None
        for trigger, source, dest, data, category, at in steps:
            version += 1 if rng.random() < 0.9 or version == 0 else 2  # gaps allowed
            trs.append(TransitionRec(new_id(rng), version, trigger, source, dest, data, category, at, entered))
            if source is None or source != dest:
                entered = at
        counters[case_type] += 1
        year = created.year
        reference = f"{PREFIX[case_type]}-{year}-{counters[case_type]:04d}"
        case = CaseRec(cid, case_type, reference, f"{MARKER} Casus {rng.getrandbits(32):08x}",
                       rng.choice(["zvh-mh", "gemeente-mh"]), trs)
        if case_type == "jeugdgroep":
            group = SubjectRec(new_id(rng), "groep", created, name=f"{MARKER} Groep {rng.getrandbits(32):08x}",
                               area=f"{MARKER} Wijk")
            subjects.append(group)
            members = [_person(rng, created, group.id) for _ in range(rng.randint(2, 6))]
            subjects.extend(members)
            shared: list[SubjectRec] = []
            if groups_persons and rng.random() < 0.35:
                earlier = rng.choice(groups_persons)
                shared = rng.sample(earlier, min(len(earlier), rng.randint(1, 2)))
            groups_persons.append(members)
            case.subject_ids = [group.id, *(p.id for p in members), *(p.id for p in shared)]
        elif case_type == "woonoverlast":
            address = SubjectRec(new_id(rng), "adres", created, postcode=f"62{rng.randint(10, 99)}QX",
                                 house_number=f"{rng.randint(1, 300)}{MARKER}")
            resident = _person(rng, created)
            subjects.extend([address, resident])
            case.subject_ids = [address.id, resident.id]
        else:
            person = _person(rng, created)
            subjects.append(person)
            case.subject_ids = [person.id]
        cases.append(case)
        if rng.random() < 0.45:
            plans.extend(_plans(rng, case, orgs, weights, as_of_day))
    hints = list(HINT_WEIGHTS)
    moments = [_snap(rng, start + timedelta(seconds=rng.uniform(0, span)), None) for _ in range(n_signals)]
    # On the test periods' and months' boundaries: inside from 00:00:00 on, outside from the next day's 00:00:00.
    moments += [datetime(2025, 7, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC),
                datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC),
                datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)]
    for at in moments:
        person = _person(rng, at)
        subjects.append(person)
        signals.append(SignalRec(new_id(rng), rng.choices(orgs, weights)[0], rng.choices(hints, list(
            HINT_WEIGHTS.values()))[0], person.id, f"{MARKER} melding {rng.getrandbits(48):012x}",
            rng.choice(["identificatie", "wonen", "politie", "zorg"]),
            rng.choice(["ontvangen", "gekoppeld", "afgewezen"]), at))
        if signals[-1].status == "gekoppeld":
            signals[-1].case_id = rng.choice(cases).id
    # Groups first: a member points at its group.
    subjects.sort(key=lambda s: s.type != "groep")
    return Dataset(dict(ORGANISATIONS), subjects, cases, signals, plans)


def _plans(rng: random.Random, case: CaseRec, orgs: list[str], weights: list[int],
           as_of_day: date) -> list[PlanRec]:
    out: list[PlanRec] = []
    at = case.created_at
    for version in range(1, rng.randint(1, 3) + 1):
        at = at + timedelta(hours=rng.randint(1, 400))
        actions = []
        for position in range(1, rng.randint(1, 4) + 1):
            due = None if rng.random() < 0.08 else as_of_day + timedelta(days=rng.randint(-45, 20))
            status = rng.choices(["open", "in_uitvoering", "gereed", "niet_gelukt", "vervallen"],
                                 [5, 3, 2, 1, 1])[0]
            actions.append(ActionRec(new_id(rng), position, f"{MARKER} actie {rng.getrandbits(32):08x}",
                                     rng.choices(orgs, weights)[0], due, status))
        out.append(PlanRec(new_id(rng), case.id, version, rng.choice(["concept", "vastgesteld"]), at, actions))
    return out


# --- rows and inserting -----------------------------------------------------------------------------------------

ORG_CREATED = datetime(2024, 12, 1, tzinfo=UTC)


def organisation_rows(ds: Dataset, rng: random.Random) -> list[dict[str, Any]]:
    return [{"id": new_id(rng), "code": code, "name": f"Organisatie {code}", "kind": kind, "created_at": ORG_CREATED}
            for code, kind in ds.organisations.items()]


def subject_row(s: SubjectRec) -> dict[str, Any]:
    return {"id": s.id, "type": s.type, "name": s.name, "birth_date": s.birth_date, "bsn_hash": s.bsn_hash,
            "postcode": s.postcode, "house_number": s.house_number, "area": s.area, "match_key": None,
            "member_of": s.member_of, "created_at": s.created_at}


def case_row(c: CaseRec) -> dict[str, Any]:
    return {"id": c.id, "reference": c.reference, "case_type": c.case_type, "state": c.state, "tier": c.tier,
            "title": c.title, "summary": None, "details": {}, "opened_by_organisation": c.opened_by,
            "regie_organisation": None, "regisseur": None, "related_case_id": None, "version": c.last.version,
            "state_entered_at": c.state_entered_at, "due_at": c.due_at, "created_at": c.created_at,
            "updated_at": c.last.created_at, "closed_at": c.closed_at, "uitstroomreden": c.uitstroomreden,
            "created_by": f"procesregisseur@{c.opened_by}", "destroyed_at": None}


def transition_row(c: CaseRec, t: TransitionRec) -> dict[str, Any]:
    return {"id": t.id, "case_id": c.id, "version": t.version, "trigger": t.trigger, "from_state": t.from_state,
            "to_state": t.to_state, "from_state_entered_at": t.from_state_entered_at, "reason": f"reden {t.trigger}",
            "data": t.data, "data_category": t.data_category,
            "actor_sub": f"procesregisseur@{c.opened_by}", "actor_org": c.opened_by, "actor_role": "procesregisseur",
            "created_at": t.created_at, "regie_organisation": None, "decision_id": None}


def signal_row(s: SignalRec) -> dict[str, Any]:
    return {"id": s.id, "source_organisation": s.source_organisation, "case_type_hint": s.case_type_hint,
            "subject_id": s.subject_id, "description": s.description, "category": s.category, "observed_at": None,
            "external_ref": None, "status": s.status, "case_id": s.case_id, "triage_decision": None,
            "triage_reason": None, "triage_reason_code": None, "triaged_by": None, "triaged_by_organisation": None,
            "triaged_at": None, "created_by": f"melder@{s.source_organisation}", "created_at": s.created_at}


def plan_row(p: PlanRec) -> dict[str, Any]:
    return {"id": p.id, "case_id": p.case_id, "version": p.version, "status": p.status, "summary": None,
            "created_at": p.created_at, "created_by": "casusregisseur@gemeente-mh",
            "created_by_organisation": "gemeente-mh",
            "adopted_at": p.created_at if p.status == "vastgesteld" else None}


def action_row(p: PlanRec, a: ActionRec) -> dict[str, Any]:
    return {"id": a.id, "plan_id": p.id, "position": a.position, "description": a.description,
            "organisation": a.organisation, "due_date": a.due_date, "status": a.status}


async def insert(ds: Dataset, db_url: str, *, with_organisations: bool = True) -> None:
    """The dataset into a migrated database, by SQLAlchemy Core inserts through the app's tables."""
    rng = random.Random(0)
    engine = create_async_engine(db_url)
    try:
        async with engine.begin() as conn:
            batches: list[tuple[Any, list[dict[str, Any]]]] = [
                (Organisation.__table__, organisation_rows(ds, rng) if with_organisations else []),
                (Subject.__table__, [subject_row(s) for s in ds.subjects if s.type == "groep"]),
                (Subject.__table__, [subject_row(s) for s in ds.subjects if s.type != "groep"]),
                (Case.__table__, [case_row(c) for c in ds.cases]),
                (CaseSubject.__table__, [{"case_id": c.id, "subject_id": s} for c in ds.cases for s in c.subject_ids]),
                (CaseTransition.__table__, [transition_row(c, t) for c in ds.cases for t in c.transitions]),
                (Signal.__table__, [signal_row(s) for s in ds.signals]),
                (CasePlan.__table__, [plan_row(p) for p in ds.plans]),
                (CasePlanAction.__table__, [action_row(p, a) for p in ds.plans for a in p.actions]),
            ]
            for table, rows in batches:
                if rows:
                    await conn.execute(sql_insert(table), rows)
    finally:
        await engine.dispose()


async def dataset_from_database(db_url: str) -> Dataset:
    """What the report reads, read back from a database the app itself wrote (cases made through the API)."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            orgs = {r.code: str(r.kind) for r in await conn.execute(select(Organisation.__table__))}
            subjects = [SubjectRec(r.id, str(r.type), r.created_at, name=r.name)
                        for r in await conn.execute(select(Subject.__table__))]
            links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
            for r in await conn.execute(select(CaseSubject.__table__)):
                links[r.case_id].append(r.subject_id)
            history: dict[uuid.UUID, list[TransitionRec]] = defaultdict(list)
            for r in await conn.execute(select(CaseTransition.__table__).order_by(CaseTransition.version)):
                history[r.case_id].append(TransitionRec(r.id, r.version, r.trigger, r.from_state, r.to_state,
                                                        dict(r.data), r.data_category, r.created_at,
                                                        r.from_state_entered_at))
            cases = [CaseRec(r.id, str(r.case_type), r.reference, r.title, r.opened_by_organisation, history[r.id],
                             links[r.id], stored={"closed_at": r.closed_at, "due_at": r.due_at})
                     for r in await conn.execute(select(Case.__table__))]
            signals = [SignalRec(r.id, r.source_organisation, str(r.case_type_hint), r.subject_id, r.description,
                                 str(r.category), str(r.status), r.created_at, r.case_id)
                       for r in await conn.execute(select(Signal.__table__))]
            actions: dict[uuid.UUID, list[ActionRec]] = defaultdict(list)
            for r in await conn.execute(select(CasePlanAction.__table__)):
                actions[r.plan_id].append(ActionRec(r.id, r.position, r.description, r.organisation, r.due_date,
                                                    str(r.status)))
            plans = [PlanRec(r.id, r.case_id, r.version, str(r.status), r.created_at, actions[r.id])
                     for r in await conn.execute(select(CasePlan.__table__))]
    finally:
        await engine.dispose()
    return Dataset(orgs, subjects, cases, signals, plans)


# --- the expected report ----------------------------------------------------------------------------------------


def periods(start: date, end: date, group_by: str | None) -> list[tuple[date, date]]:
    """Inclusive (from, to) days: the period, or its calendar months clipped to it."""
    if group_by is None:
        return [(start, end)]
    out: list[tuple[date, date]] = []
    day = start
    while day <= end:
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        out.append((day, min(last, end)))
        day = last + timedelta(days=1)
    return out


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00:00Z, (last + 1 day) 00:00:00Z)."""
    return (datetime(first.year, first.month, first.day, tzinfo=UTC),
            datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1))


def suppress(n: int) -> int | str:
    return SUPPRESSED if 1 <= n < BELOW else n


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default, PostgreSQL percentile_cont)."""
    v = sorted(values)
    h = (len(v) - 1) * p
    f = math.floor(h)
    if f + 1 >= len(v):
        return v[f]
    return v[f] + (h - f) * (v[f + 1] - v[f])


def _cell(**dims: Any) -> dict[str, Any]:
    cell: dict[str, Any] = dict.fromkeys(DIMENSIONS)
    cell.update(dims)
    cell["count"] = None
    cell["value"] = None
    return cell


def _sort_key(cell: dict[str, Any]) -> tuple[tuple[int, Any], ...]:
    return tuple((0, "") if cell[d] is None else (1, cell[d] if d == "tier" else str(cell[d])) for d in DIMENSIONS)


def count_cells(counter: Counter[tuple[tuple[str, Any], ...]]) -> list[dict[str, Any]]:
    cells = []
    for dims, n in counter.items():
        if n > 0:
            cell = _cell(**dict(dims))
            cell["value"] = suppress(n)
            cells.append(cell)
    return sorted(cells, key=_sort_key)


def duration_cells(stays: dict[tuple[tuple[str, Any], ...], list[float]], p: float) -> list[dict[str, Any]]:
    cells = []
    for dims, days in stays.items():
        cell = _cell(**dict(dims))
        cell["count"] = suppress(len(days))
        cell["value"] = round(percentile(days, p), 1) if len(days) >= BELOW else None
        cells.append(cell)
    return sorted(cells, key=_sort_key)


def _in(at: datetime, lo: datetime, hi: datetime) -> bool:
    return lo <= at < hi


def direction_of(case_type: str, t: TransitionRec) -> str | None:
    """The ladder direction of a history row: the TransitionDef of (case_type, trigger, from_state)."""
    if t.from_state is None:
        return None
    for d in ladder(case_type).transitions:
        if d.trigger == t.trigger and d.source == t.from_state:
            return str(d.direction.value) if d.direction is not None else None
    return None


def stays(c: CaseRec) -> list[tuple[str, datetime, datetime]]:
    """(state, entered, left) of every finished stay of the case."""
    changing = sorted((t for t in c.transitions if t.from_state is None or t.from_state != t.to_state),
                      key=lambda t: t.version)
    return [(a.to_state, a.created_at, b.created_at) for a, b in itertools.pairwise(changing)]


def _closed_throughout(c: CaseRec, lo: datetime, hi: datetime) -> bool:
    before = [t for t in c.transitions if t.created_at < lo]
    if not before:
        return False
    last = max(before, key=lambda t: t.version)
    return last.to_state == FINAL_STATE and not any(_in(t.created_at, lo, hi) for t in c.transitions)


Dims = tuple[tuple[str, Any], ...]


def period_figures(ds: Dataset, lo: datetime, hi: datetime) -> dict[str, tuple[int | None, list[dict[str, Any]]]]:
    """code -> (total or None, breakdown) for one period [lo, hi)."""
    kinds = ds.subject_types
    out: dict[str, tuple[int | None, list[dict[str, Any]]]] = {}
    groups = [c for c in ds.cases if c.case_type == "jeugdgroep" and c.created_at < hi
              and not _closed_throughout(c, lo, hi)]
    out["jeugdgroepen_in_beeld"] = (len(groups), [])
    persons = {s for c in groups for s in c.subject_ids if kinds[s] == "persoon"}
    out["unieke_subjecten_in_beeld"] = (len(persons), [])

    def rows(case_type: str | None = None) -> Iterable[tuple[CaseRec, TransitionRec]]:
        for c in ds.cases:
            if case_type is None or c.case_type == case_type:
                for t in c.transitions:
                    if _in(t.created_at, lo, hi):
                        yield c, t

    out["plannen_van_aanpak_jeugdgroepen"] = (
        sum(1 for _, t in rows("jeugdgroep") if t.trigger == "plan_vaststellen"), [])
    out["jeugd_opgeschaald_pga"] = (
        len({c.id for c, t in rows("ijam") if t.to_state == "pga" and direction_of("ijam", t) == "up"}), [])
    out["woonoverlast_aangepakt"] = (len({c.id for c, t in rows("woonoverlast") if t.trigger == "oppakken"}), [])
    ave: Counter[Dims] = Counter()
    for c, t in rows("woonoverlast"):
        if direction_of(c.case_type, t) == "up":
            ave[(("state", t.to_state), ("reason", t.data.get("escalatiereden")))] += 1
    out["ave_escalaties"] = (sum(ave.values()), count_cells(ave))
    in_period = [s for s in ds.signals if _in(s.created_at, lo, hi)]
    out["signalen_radicalisering"] = (sum(1 for s in in_period if s.case_type_hint == "radicalisering"), [])
    out["beheersmaatregelen_ex_gedetineerden"] = (
        len({c.id for c, t in rows("ex_gedetineerde") if t.trigger == "beheersmaatregel_registreren"}), [])
    bron: Counter[Dims] = Counter((("organisation", s.source_organisation),) for s in in_period)
    out["signalen_per_bron"] = (len(in_period), count_cells(bron))
    durations: dict[Dims, list[float]] = defaultdict(list)
    for c in ds.cases:
        for state, entered, left in stays(c):
            if _in(left, lo, hi):
                durations[(("case_type", c.case_type), ("state", state))].append(
                    (left - entered).total_seconds() / 86400)
    out["doorlooptijd_mediaan_dagen"] = (None, duration_cells(durations, 0.5))
    out["doorlooptijd_p90_dagen"] = (None, duration_cells(durations, 0.9))
    esc: Counter[Dims] = Counter()
    for c, t in rows():
        direction = direction_of(c.case_type, t)
        if direction in ("up", "down"):
            esc[(("case_type", c.case_type), ("direction", direction),
                 ("tier", ladder(c.case_type).state(t.to_state).tier),
                 ("reason", t.data.get("escalatiereden")))] += 1
    out["escalaties"] = (sum(esc.values()), count_cells(esc))
    uit: Counter[Dims] = Counter()
    for c, t in rows():
        if t.to_state == FINAL_STATE:
            uit[(("case_type", c.case_type), ("uitstroomreden", t.data.get("uitstroomreden")))] += 1
    out["uitstroom"] = (sum(uit.values()), count_cells(uit))
    return out


def now_figures(ds: Dataset, as_of: datetime) -> dict[str, tuple[int | None, list[dict[str, Any]]]]:
    open_cases = [c for c in ds.cases if (c.stored["closed_at"] if c.stored else c.closed_at) is None]
    stagnant: Counter[Dims] = Counter()
    for c in open_cases:
        due = c.stored["due_at"] if c.stored else c.due_at
        if due is not None and due < as_of:
            stagnant[(("case_type", c.case_type),)] += 1
    open_ids = {c.id for c in open_cases}
    current: dict[uuid.UUID, PlanRec] = {}
    for p in ds.plans:
        if p.case_id in open_ids and (p.case_id not in current or p.version > current[p.case_id].version):
            current[p.case_id] = p
    today = as_of.astimezone(UTC).date()
    late: Counter[Dims] = Counter()
    for p in current.values():
        for a in p.actions:
            if a.due_date is not None and a.due_date < today and a.status in ("open", "in_uitvoering"):
                late[(("organisation", a.organisation),)] += 1
    return {"stagnaties": (sum(stagnant.values()), count_cells(stagnant)),
            "acties_over_termijn": (sum(late.values()), count_cells(late))}


def iso_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_report(ds: Dataset, start: date, end: date, group_by: str | None, as_of: datetime) -> dict[str, Any]:
    """The whole JSON response of GET /v1/reports/monitor?from=start&to=end[&group_by=month] at `as_of`."""
    per_period = [(first, last, period_figures(ds, *bounds(first, last)))
                  for first, last in periods(start, end, group_by)]
    now = now_figures(ds, as_of)
    indicators: list[dict[str, Any]] = []
    for code, unit, kind in INDICATORS:
        if kind == "now":
            value, cells = now[code]
            indicators.append({"code": code, "label": ANY_LABEL, "unit": unit, "from": None, "to": None,
                               "as_of": iso_moment(as_of), "value": suppress(value or 0), "breakdown": cells})
            continue
        for first, last, figures in per_period:
            value, cells = figures[code]
            indicators.append({"code": code, "label": ANY_LABEL, "unit": unit, "from": first.isoformat(),
                               "to": last.isoformat(), "as_of": None,
                               "value": None if value is None else suppress(value), "breakdown": cells})
    return {"from": start.isoformat(), "to": end.isoformat(), "group_by": group_by, "as_of": iso_moment(as_of),
            "suppression": {"below": BELOW, "shown_as": SUPPRESSED}, "indicators": indicators}


# --- comparing --------------------------------------------------------------------------------------------------

DURATION_TOLERANCE = 0.051


def differences(expected: Any, got: Any, path: str = "$", *, duration: bool = False) -> list[str]:
    """Every place where `got` differs from `expected`, as 'path: expected X, got Y' (empty when equal).

    ANY_LABEL matches any non-empty string; duration values (breakdown `value` of a `dagen` indicator) match
    within DURATION_TOLERANCE."""
    if expected is ANY_LABEL:
        return [] if isinstance(got, str) and got.strip() else [f"{path}: expected a non-empty label, got {got!r}"]
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected an object, got {got!r}"]
        out: list[str] = []
        if set(expected) != set(got):
            out.append(f"{path}: keys differ: missing {sorted(set(expected) - set(got))}, "
                       f"extra {sorted(set(got) - set(expected))}")
        is_duration = expected.get("unit") == "dagen" or duration
        for key in expected:
            if key in got:
                out += differences(expected[key], got[key], f"{path}.{key}",
                                   duration=is_duration and key in ("breakdown", "value"))
        return out
    if isinstance(expected, list):
        if not isinstance(got, list):
            return [f"{path}: expected a list, got {got!r}"]
        if len(expected) != len(got):
            return [f"{path}: expected {len(expected)} items, got {len(got)}: expected {expected!r}, got {got!r}"]
        out = []
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            out += differences(e, g, f"{path}[{i}]", duration=duration)
        return out
    if duration and isinstance(expected, float):
        if isinstance(got, bool) or not isinstance(got, int | float) or abs(got - expected) > DURATION_TOLERANCE:
            return [f"{path}: expected {expected!r}, got {got!r}"]
        return []
    if type(expected) is not type(got) or expected != got:
        return [f"{path}: expected {expected!r}, got {got!r}"]
    return []


def csv_rows_of(report: dict[str, Any]) -> list[list[str]]:
    """The CSV rows (header first) REPORTS-SPEC.md's CSV section makes of a JSON report."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.1f}"
        return str(value)

    rows = [list(CSV_COLUMNS)]
    for ind in report["indicators"]:
        head = [text(ind[k]) for k in ("code", "label", "unit", "from", "to", "as_of")]
        rows.append(head + [""] * len(DIMENSIONS) + ["", text(ind["value"])])
        for cell in ind["breakdown"]:
            rows.append(head + [text(cell[d]) for d in DIMENSIONS] + [text(cell["count"]), text(cell["value"])])
    return rows


def value_kinds(report: dict[str, Any]) -> dict[str, set[str]]:
    """Per indicator code, which kinds of shown counts occur: "0", "<5", ">=5" (values, and cell counts)."""
    out: dict[str, set[str]] = defaultdict(set)

    def note(code: str, v: Any) -> None:
        if v == SUPPRESSED:
            out[code].add("<5")
        elif isinstance(v, int) and not isinstance(v, bool):
            out[code].add("0" if v == 0 else ">=5" if v >= BELOW else f"bad:{v}")

    for ind in report["indicators"]:
        code = ind["code"]
        note(code, ind["value"])
        for cell in ind["breakdown"]:
            note(code, cell["count"] if ind["unit"] == "dagen" else cell["value"])
    return out


def shown_numbers(report: dict[str, Any]) -> Iterable[Any]:
    """Every count the report shows (values and cells; not durations)."""
    for ind in report["indicators"]:
        if ind["unit"] != "dagen":
            yield ind["value"]
        for cell in ind["breakdown"]:
            yield cell["count"] if ind["unit"] == "dagen" else cell["value"]

