"""Retention and destruction (issue 17 item 5): closed cases past the longest convenant term lose their personal
data, once; extensions postpone it; the skeleton and every audit entry stay, and the audit chain still verifies.

The world's convenant has a term of 24 months. Case A is closed on 1 March 2024 at noon: due on 1 March 2026 at
noon. Case B closed a day later is just inside its term then; case K stays open and shares a subject with A.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from app import cli, worker
from app.audit import verification as verify
from app.cases.models import Case, CaseSubject, CaseTransition
from app.config import Settings, get_settings
from app.kit import clock
from app.retention import destruction
from app.retention.terms import add_months
from app.subjects.models import Subject
from app.vocabulary import Role
from tests.audit_helpers import audit_rows
from tests.world import World

OPENED = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
CLOSED_A = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CLOSED_B = datetime(2024, 3, 2, 12, 0, tzinfo=UTC)
DUE_A = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PROBLEM = "application/problem+json"

# What case A holds that must be gone: every one a unique marker, searched for in every table afterwards.
SECRETS = ("Anna Vernietigd", "Notitie 7781", "Plan 7781", "Actie 7781", "Toelichting 7781", "Sluitreden 7781",
           "Signaal Sanne", "Signaaltekst 7781", "EXT-7781", "Triagereden 7781", "Terugkoppeling 7781",
           "6229XX")
SHARED = "Karel Gedeeld"


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    with clock.frozen(OPENED):
        return await World(client, auth).setup()


def _person(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "persoon", "name": name, "birth_date": "2008-02-02", **extra}


async def _case(world: World, name: str, **extra: Any) -> dict[str, Any]:
    with clock.frozen(OPENED):
        return await world.case("ijam", subjects=[_person(name, **extra)])


async def _ok(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


async def _close(world: World, case_id: str, at: datetime, reason: str = "afgerond") -> None:
    with clock.frozen(at):
        r = await world.client.post(f"/v1/cases/{case_id}/transitions", headers=world.regisseur,
                                    json={"trigger": "afsluiten", "reason": reason, "data": {}})
    await _ok(r)


async def _fill(world: World, case_id: str) -> None:
    """Case A's free text: a note, a plan with an action and its change, a signal linked in with feedback."""
    c, h = world.client, world.regisseur
    with clock.frozen(OPENED + timedelta(days=1)):
        await _ok(await c.post(f"/v1/cases/{case_id}/notes", json={"category": "identificatie", "text": "Notitie 7781"},
                               headers=h), 201)
        plan = await _ok(await c.put(f"/v1/cases/{case_id}/plan", headers=h | {"If-Match": "*"}, json={
            "summary": "Plan 7781", "actions": [{"description": "Actie 7781", "organisation": "zvh-mh"}]}))
        action = plan["actions"][0]["id"]
        await _ok(await c.patch(f"/v1/cases/{case_id}/plan/actions/{action}", headers=h | {"If-Match": "*"},
                                json={"status": "gereed", "toelichting": "Toelichting 7781"}))
        melder = world.h("politie", "melder", sub="melder-1")
        subject = _person("Signaal Sanne", address={"postcode": "6229XX", "house_number": "7"})
        signal = await _ok(await c.post("/v1/signals", headers=melder | {"Idempotency-Key": str(uuid.uuid4())}, json={
            "case_type_hint": "ijam", "category": "identificatie", "description": "Signaaltekst 7781",
            "external_ref": "EXT-7781", "subject": subject}), 201)
        await _ok(await c.post(f"/v1/signals/{signal['id']}/triage", headers=h, json={
            "decision": "koppelen", "case_id": case_id, "reason": "Triagereden 7781"}))
        await _ok(await c.post(f"/v1/signals/{signal['id']}/feedback", headers=h,
                               json={"message": "Terugkoppeling 7781"}), 201)


async def _share(app: Any, subject_id: str, case_id: str) -> None:
    """Link a subject of one case to another (the data model allows a subject in several cases)."""
    async with app.state.db.sessionmaker() as session:
        await session.execute(insert(CaseSubject).values(case_id=uuid.UUID(case_id), subject_id=uuid.UUID(subject_id)))
        await session.commit()


async def _dump(db_url: str) -> str:
    """Every row of every table, as text (the raw database a restore or a breach would expose)."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            catalogue = ("SELECT name FROM sqlite_master WHERE type = 'table'" if conn.dialect.name == "sqlite"
                         else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = (await conn.execute(text(catalogue))).scalars().all()
            rows = []
            for table in sorted(tables):
                rows += sorted(f"{table}: {tuple(r)}"
                               for r in (await conn.execute(text(f'SELECT * FROM "{table}"'))).all())
            return "\n".join(rows)
    finally:
        await engine.dispose()


async def _verifies(app: Any) -> None:
    async with app.state.db.sessionmaker() as session:
        result = await verify.verify_chain(session)
    assert result.valid, result.as_dict()


async def test_a_case_past_its_term_is_destroyed_once_and_the_audit_chain_still_verifies(
    world: World, app: Any, db_url: str
) -> None:
    a = await _case(world, "Anna Vernietigd", bsn="111222333")
    b = await _case(world, "Bram Blijft")
    k = await _case(world, SHARED)
    await _fill(world, a["id"])
    await _share(app, k["subjects"][0]["id"], a["id"])
    await _close(world, a["id"], CLOSED_A, "Sluitreden 7781")
    await _close(world, b["id"], CLOSED_B)

    # Just inside the term nothing is due; at the due moment A is, B (closed a day later) is not.
    assert await worker.retention_pass(app.state.db, now=DUE_A - timedelta(seconds=1), dry_run=True) == []
    (due,) = await worker.retention_pass(app.state.db, now=DUE_A, dry_run=True)
    assert (str(due.case_id), due.reference, due.closed_at, due.term.months, due.due_at) == (
        a["id"], a["reference"], CLOSED_A, 24, DUE_A)
    assert due.term.basis[0].convenant_id == uuid.UUID(world.convenants["pga"]) and not due.term.fallback
    before = await audit_rows(db_url)
    dump = await _dump(db_url)
    assert [s for s in SECRETS if s not in dump] == []  # all there: the dry run changed nothing

    destroyed = await worker.retention_pass(app.state.db, now=DUE_A)
    assert [str(d.case_id) for d in destroyed] == [a["id"]]
    after = await audit_rows(db_url)
    dump = await _dump(db_url)
    # Running again changes nothing more: no row, no entry.
    assert await worker.retention_pass(app.state.db, now=DUE_A + timedelta(hours=1)) == []
    assert await _dump(db_url) == dump
    # Every earlier entry is untouched; one new entry, the verklaring.
    assert [(e.seq, e.hash) for e in after[:len(before)]] == [(e.seq, e.hash) for e in before]
    assert [e.action for e in after[len(before):]] == ["case:destroy"]
    await _verifies(app)

    assert [line for line in dump.splitlines() if any(s in line for s in SECRETS)] == []
    assert SHARED in dump and "Bram Blijft" in dump  # kept for the open case K; B's own (not yet destroyed)
    async with app.state.db.sessionmaker() as session:
        anna = await session.scalar(select(Subject).where(Subject.id == uuid.UUID(a["subjects"][0]["id"])))
        row = await session.scalar(select(Case).where(Case.id == uuid.UUID(a["id"])))
    assert anna is not None and (anna.bsn_hash, anna.birth_date, anna.match_key) == (None, None, None)
    assert row is not None and (row.state, row.case_type, row.closed_at, row.destroyed_at) == (
        "afgesloten", "ijam", CLOSED_A, DUE_A)

    entry = after[len(before)]
    assert (entry.actor_sub, entry.actor_org, str(entry.case_id), entry.outcome) == (
        "systeem", "systeem", a["id"], "allowed")
    verklaring = entry.detail["verklaring_van_vernietiging"]
    assert verklaring["retention"]["term_months"] == 24 and verklaring["retention"]["due_at"] == DUE_A.isoformat()
    assert verklaring["retention"]["convenants"][0]["convenant_id"] == world.convenants["pga"]
    assert verklaring["subjects_kept_for_other_cases"] == [k["subjects"][0]["id"]]
    counts = {t: v["rows"] for t, v in verklaring["destroyed"].items()}
    assert counts["casus"] == 1 and counts["casus_note"] == 1 and counts["signaal"] == 1
    assert counts["signaal_feedback"] == 1 and counts["casus_plan_action_change"] == 1 and counts["subject"] == 2
    assert verklaring["destroyed"]["subject"]["fields"] == ["name", "birth_date", "bsn_hash", "postcode",
                                                            "house_number", "area", "match_key"]
    assert not any(s in str(entry.detail) for s in SECRETS)

    # The skeleton reads; nothing changes it any more.
    view = await _ok(await world.client.get(f"/v1/cases/{a['id']}", headers=world.regisseur))
    assert (view["state"], view["title"], view["destroyed_at"]) == (
        "afgesloten", "[vernietigd]", "2026-03-01T12:00:00Z")
    r = await world.client.post(f"/v1/cases/{a['id']}/transitions", headers=world.regisseur | {"If-Match": "*"},
                                json={"trigger": "heropenen", "reason": "x", "data": {}})
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    r = await world.client.post(f"/v1/cases/{a['id']}/retention-extension", headers=world.regisseur | {"If-Match": "*"},
                                json={"months": 6, "reason": "te laat"})
    assert r.status_code == 409

    # A day later B's term has passed too; A is not destroyed twice, and the chain still verifies.
    assert [str(d.case_id) for d in await worker.retention_pass(app.state.db, now=DUE_A + timedelta(days=1))] == [
        b["id"]]
    assert [str(e.case_id) for e in await audit_rows(db_url, action="case:destroy")] == [a["id"], b["id"]]
    await _verifies(app)

    # The shared subject goes with the last case that needs it.
    await _close(world, k["id"], CLOSED_B)
    assert [str(d.case_id) for d in await worker.retention_pass(app.state.db, now=DUE_A + timedelta(days=1))] == [
        k["id"]]
    assert SHARED not in await _dump(db_url)


async def test_a_group_case_takes_its_members_with_it(world: World, app: Any, db_url: str) -> None:
    with clock.frozen(OPENED):
        g = await world.case("jeugdgroep", subjects=[{"type": "groep", "name": "Groep 7781", "area": "Wijk 7781",
                                                      "members": [{"name": "Lid 7781", "birth_date": "2008-01-01"}]}])
    with clock.frozen(CLOSED_A):
        r = await world.client.post(f"/v1/cases/{g['id']}/transitions", headers=world.regisseur, json={
            "trigger": "afsluiten", "reason": "verhuisd", "data": {"uitstroomreden": "verhuisd"}})
    await _ok(r)
    assert [str(d.case_id) for d in await worker.retention_pass(app.state.db, now=DUE_A)] == [g["id"]]
    (entry,) = await audit_rows(db_url, action="case:destroy")
    assert entry.detail["verklaring_van_vernietiging"]["destroyed"]["subject"]["rows"] == 2  # the group, its member
    if db_url.startswith("sqlite"):
        assert [line for line in (await _dump(db_url)).splitlines() if "7781" in line] == []
    # The history keeps its reason codes (closed vocabularies, no personal data): the monitor report still
    # counts this closure under its uitstroomreden.
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            steps = (await conn.execute(select(CaseTransition.trigger, CaseTransition.reason, CaseTransition.data)
                                        .where(CaseTransition.case_id == uuid.UUID(g["id"]))
                                        .order_by(CaseTransition.version))).all()
    finally:
        await engine.dispose()
    assert [tuple(s) for s in steps] == [("aanmaken", "[vernietigd]", {}),
                                         ("afsluiten", "[vernietigd]", {"uitstroomreden": "verhuisd"})]


async def test_the_review_pages_through_the_candidates(world: World, app: Any) -> None:
    cases = [await _case(world, f"Persoon {i}") for i in range(3)]
    for i, case in enumerate(cases):
        await _close(world, case["id"], CLOSED_A + timedelta(minutes=i % 2))  # two share a closing moment
    async with app.state.db.sessionmaker() as session:
        paged = await destruction.review(session, DUE_A + timedelta(hours=1), batch=1)
        whole = await destruction.review(session, DUE_A + timedelta(hours=1))
    assert [d.case_id for d in paged] == [d.case_id for d in whole] and len(whole) == 3
    assert sorted(str(d.case_id) for d in whole) == sorted(c["id"] for c in cases)


async def _convenant(world: World, code: str, months: int, parties: dict[str, list[str]], valid_from: str,
                     valid_until: str) -> str:
    body = {"code": code, "title": f"Convenant {code}", "case_types": ["ijam"], "purposes": ["doel"],
            "legal_basis": "Wgs", "valid_from": valid_from, "valid_until": valid_until, "retention_months": months,
            "parties": [{"organisation": o, "role": "kernpartner", "data_categories": c} for o, c in parties.items()]}
    with clock.frozen(datetime(2022, 1, 1, tzinfo=UTC)):  # activated while its period runs or lies ahead
        created = await _ok(await world.client.post("/v1/convenants", json=body, headers=world.beheerder), 201)
        await _ok(await world.client.post(f"/v1/convenants/{created['id']}/activate", headers=world.beheerder))
    return str(created["id"])


async def test_the_term_is_the_longest_of_the_versions_that_covered_the_case(world: World, app: Any) -> None:
    a = await _case(world, "Anna Vernietigd")
    await _close(world, a["id"], CLOSED_A)
    # Longer terms that do not apply: ended before the case opened; no organisation of the case a party.
    await _convenant(world, "voorbij", 60, {"zvh-mh": ["identificatie"], "gemeente": ["identificatie"]},
                     "2020-01-01", "2023-12-31")
    await _convenant(world, "anderen", 48, {"om": ["identificatie"], "school": ["identificatie"]},
                     "2020-01-01", "2099-12-31")
    async with app.state.db.sessionmaker() as session:
        (due,) = await destruction.review(session, DUE_A)
    assert (due.term.months, [str(b.convenant_id) for b in due.term.basis]) == (24, [world.convenants["pga"]])
    # One that applies (the ZVH a party, valid during the case's life) and is longer decides.
    longer = await _convenant(world, "langer", 30, {"zvh-mh": ["identificatie"], "gemeente": ["identificatie"]},
                              "2024-02-01", "2030-12-31")
    async with app.state.db.sessionmaker() as session:
        assert await destruction.review(session, DUE_A) == []
        (due,) = await destruction.review(session, add_months(CLOSED_A, 30))
    assert (due.term.months, [str(b.convenant_id) for b in due.term.basis], due.term.fallback) == (
        30, [longer], False)


def test_months_are_calendar_months() -> None:
    assert add_months(datetime(2024, 1, 31, 8, tzinfo=UTC), 1) == datetime(2024, 2, 29, 8, tzinfo=UTC)
    assert add_months(datetime(2024, 11, 30, tzinfo=UTC), 27) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(CLOSED_A, 24) == DUE_A


async def _extend(world: World, case_id: str, months: int, headers: dict[str, str] | None = None,
                  **extra: Any) -> httpx.Response:
    return await world.client.post(f"/v1/cases/{case_id}/retention-extension",
                                   headers=(headers or world.regisseur) | {"If-Match": "*"},
                                   json={"months": months, "reason": "Verlenging 7781", **extra})


async def test_an_extension_postpones_destruction_and_a_third_is_refused(world: World, app: Any, db_url: str) -> None:
    a = await _case(world, "Anna Vernietigd")
    await _close(world, a["id"], CLOSED_A)
    r = await _extend(world, a["id"], 3)
    body = await _ok(r, 201)
    assert (body["months"], body["extension_months"], body["created_by_organisation"]) == (3, 3, "zvh-mh")
    case = await _ok(await world.client.get(f"/v1/cases/{a['id']}", headers=world.regisseur))
    assert r.headers["etag"] == f'"{case["version"]}"'
    entries = await audit_rows(db_url, action="case:retention_extend")
    assert [(e.detail, e.object_id) for e in entries] == [
        ({"months": 3, "number": 1, "extension_months": 3}, body["id"])]  # the months, not the reason

    postponed = add_months(CLOSED_A, 27)
    assert await worker.retention_pass(app.state.db, now=DUE_A) == []
    assert await worker.retention_pass(app.state.db, now=postponed - timedelta(seconds=1)) == []
    await _ok(await _extend(world, a["id"], 24), 201)
    assert await worker.retention_pass(app.state.db, now=postponed) == []  # 24 more months
    third = await _extend(world, a["id"], 1)
    assert third.status_code == 409 and third.headers["content-type"].startswith(PROBLEM)
    (done,) = await worker.retention_pass(app.state.db, now=add_months(CLOSED_A, 51))
    assert (done.term.months, done.term.extension_months) == (24, 27)
    if db_url.startswith("sqlite"):
        assert "Verlenging 7781" not in await _dump(db_url)


@pytest.mark.parametrize("body", [
    {"months": 0, "reason": "x"}, {"months": 25, "reason": "x"}, {"months": 6}, {"months": 6, "reason": "  "},
    {"months": 6, "reason": "x", "extra": 1}, {"months": "zes", "reason": "x"},
])
async def test_bad_extensions_are_422_problems(world: World, body: dict[str, Any]) -> None:
    a = await _case(world, "Anna Vernietigd")
    r = await world.client.post(f"/v1/cases/{a['id']}/retention-extension", json=body,
                                headers=world.regisseur | {"If-Match": "*"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), r.text
    assert r.json()["errors"]


async def test_an_extension_needs_if_match(world: World) -> None:
    a = await _case(world, "Anna Vernietigd")
    r = await world.client.post(f"/v1/cases/{a['id']}/retention-extension", json={"months": 1, "reason": "x"},
                                headers=world.regisseur)
    assert r.status_code == 428
    r = await world.client.post(f"/v1/cases/{a['id']}/retention-extension", json={"months": 1, "reason": "x"},
                                headers=world.regisseur | {"If-Match": '"999"'})
    assert r.status_code == 412


# Role x situation -> status. The case is opened by the ZVH (zvh-mh takes part); the gemeente is a convenant party
# that does not take part. Only the procesregisseur taking part may extend; the other case roles taking part see the
# case (403); a role that may not read the case there (melder, beheerder, auditor; bestuurder outside a gemeente),
# and every role of an organisation not taking part, does not see it (404).
SEES_CASES = (Role.procesregisseur, Role.casusregisseur, Role.medewerker)
MATRIX = [
    *((role.value, "participant", 201 if role == Role.procesregisseur else 403 if role in SEES_CASES else 404)
      for role in Role),
    *((role.value, "not participating", 404) for role in Role),
]


@pytest.mark.parametrize(("role", "situation", "status"), MATRIX)
async def test_who_may_extend(world: World, role: str, situation: str, status: int) -> None:
    a = await _case(world, "Anna Vernietigd")
    org = "zvh-mh" if situation == "participant" else "gemeente"
    r = await _extend(world, a["id"], 6, headers=world.h(org, role, sub=f"{role}-1"))
    assert r.status_code == status, r.text


async def test_the_cli_dry_run_lists_without_personal_data_and_changes_nothing(
    world: World, settings: Settings, db_url: str
) -> None:
    a = await _case(world, "Anna Vernietigd")
    await _close(world, a["id"], CLOSED_A)
    with clock.frozen(DUE_A):
        listed = await cli.retention(settings, dry_run=True)
        again = await cli.retention(settings, dry_run=True)
    assert listed == again and listed["dry_run"] is True
    (item,) = listed["due"]
    assert (item["case_id"], item["reference"], item["term_months"], item["due_at"]) == (
        a["id"], a["reference"], 24, DUE_A.isoformat())
    assert "Anna" not in str(listed)
    assert [e for e in await audit_rows(db_url) if e.action == "case:destroy"] == []
    with clock.frozen(DUE_A):
        done = await cli.retention(settings, dry_run=False)
    assert [d["case_id"] for d in done["destroyed"]] == [a["id"]]


def test_the_cli_refuses_to_destroy_while_retention_is_disabled(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    monkeypatch.setenv("CASUSREGIE_ENV", "development")
    monkeypatch.setenv("CASUSREGIE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/none.db")
    monkeypatch.setenv("CASUSREGIE_RETENTION_ENABLED", "false")
    get_settings.cache_clear()
    try:
        assert cli.main(["retention"]) == 2
    finally:
        get_settings.cache_clear()
    assert "CASUSREGIE_RETENTION_ENABLED=false" in capsys.readouterr().err


def test_the_retention_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASUSREGIE_RETENTION_ENABLED", raising=False)
    monkeypatch.delenv("CASUSREGIE_RETENTION_INTERVAL", raising=False)
    defaults = Settings()
    assert (defaults.retention_enabled, defaults.retention_interval) == (True, 86_400.0)  # daily
    monkeypatch.setenv("CASUSREGIE_RETENTION_ENABLED", "false")
    monkeypatch.setenv("CASUSREGIE_RETENTION_INTERVAL", "3600")
    assert (Settings().retention_enabled, Settings().retention_interval) == (False, 3600.0)
    for bad in ("0", str(8 * 86_400)):
        monkeypatch.setenv("CASUSREGIE_RETENTION_INTERVAL", bad)
        with pytest.raises(ValueError):
            Settings()


async def test_the_worker_runs_the_retention_pass_at_its_interval(
    world: World, app: Any, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    a = await _case(world, "Anna Vernietigd")
    await _close(world, a["id"], CLOSED_A)
    monkeypatch.setenv("CASUSREGIE_RETENTION_INTERVAL", "0.05")
    interval = Settings().retention_interval
    stop = asyncio.Event()
    with clock.frozen(DUE_A - timedelta(days=1)):
        loop = asyncio.create_task(worker.retention_loop(app.state.db, interval, stop))
        await asyncio.sleep(0.2)  # several passes, nothing due yet
        assert await audit_rows(db_url, action="case:destroy") == []
        clock.set_fixed(DUE_A)  # the next pass, an interval later, finds A due
        for _ in range(100):
            if await audit_rows(db_url, action="case:destroy"):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(loop, timeout=5)
    assert [str(e.case_id) for e in await audit_rows(db_url, action="case:destroy")] == [a["id"]]
