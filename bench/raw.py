"""The raw baselines: the app's transaction shapes written directly against asyncpg (no HTTP, no ORM).

Each statement mirrors one the app sends (captured with SQLAlchemy's before_cursor_execute), so the
ratio API/raw measures what FastAPI, pydantic, SQLAlchemy and the access layer cost on top of
what PostgreSQL itself has to do. Transitions come in three shapes (issue 11):

- R0 `lean_transition`: the least a transition must do: the case `FOR UPDATE`, its `UPDATE`, the
  `casus_transition` row and one staged audit row (`audit_staging`), no reads besides the lock;
- R1 `transition(append="fused")`: the app's statements on PostgreSQL now: the case `FOR UPDATE`, then the case
  with its participants and subjects joined, carrying the caller's participation and the convenant epoch (the
  grants come from a per-process cache under that epoch, read here once before the load), then one statement:
  the case `UPDATE`, the
  `casus_transition` row and the `case.transitioned` outbox event (built by app.events.outbox) as
  data-modifying CTEs of the `INSERT audit_staging` (app/kit/deferred_writes.py);
- R1' `transition(append="staging")`: the shape of the first issue 11 commit: case `FOR UPDATE`, participants,
  subjects, grants, `UPDATE`, `INSERT casus_transition`, `INSERT audit_staging … RETURNING staged_seq`;
- R2 `transition(append="headlock")`: the same reads and writes with the audit append the app had before
  issue 11: chain head `FOR UPDATE`, the chained entry (+ subject index), head `UPDATE`.

Staged entries are chained by the running server's chainer (app/audit/chainer.py); head-lock entries are
chained here with the app's own hashing code (the triggers of migration 0005 refuse UPDATE/DELETE on
audit_log, not INSERT). Either way the chain stays valid and `casusregie verify-audit` passes after a raw run.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from app.audit.hash_chain import entry_hash
from app.events import outbox
from app.events.types import EventType

CASE_COLUMNS = ("id, reference, case_type, state, tier, title, summary, details, opened_by_organisation, "
                "regie_organisation, regisseur, related_case_id, version, state_entered_at, due_at, created_at, "
                "updated_at, closed_at, created_by")

SELECT_CASE_FOR_UPDATE = f"SELECT {CASE_COLUMNS} FROM casus WHERE id = $1 FOR UPDATE"
SELECT_PARTICIPANTS = ("SELECT case_id, organisation, basis, added_at, added_by, case_created_at "
                       "FROM casus_participant WHERE case_id = ANY($1::uuid[]) ORDER BY organisation")
# Signal intake's grant look-up: active, currently valid versions naming the organisation and covering the type.
SELECT_GRANTS = """
SELECT v.convenant_id, v.version, v.id, v.legal_basis, p.role, pc.category
FROM convenant_version v
JOIN convenant_party p ON p.version_id = v.id
JOIN convenant_case_type ct ON ct.version_id = v.id
LEFT JOIN convenant_party_category pc ON pc.version_id = p.version_id AND pc.organisation = p.organisation
WHERE v.status = 'actief' AND v.valid_from <= $3 AND v.valid_until >= $3
  AND p.organisation = $1 AND ct.case_type = $2
ORDER BY v.convenant_id, v.version"""
# The app's shapes on PostgreSQL since issue 11 (captured): the grants of the acting organisation for this case
# (the case's type, and the organisation participates), and the subjects read once for the entry and the answer.
SELECT_GRANTS_FOR_CASE = """
SELECT v.convenant_id, v.version, v.id, v.legal_basis, p.role, pc.category
FROM convenant_version v
JOIN convenant_party p ON p.version_id = v.id
JOIN convenant_case_type ct ON ct.version_id = v.id
LEFT JOIN convenant_party_category pc ON pc.version_id = p.version_id AND pc.organisation = p.organisation
JOIN casus ON casus.case_type = ct.case_type
WHERE v.status = 'actief' AND v.valid_from <= $1 AND v.valid_until >= $1 AND p.organisation = $2
  AND casus.id = $3
  AND EXISTS (SELECT * FROM casus_participant cp WHERE cp.case_id = casus.id AND cp.organisation = $2)
ORDER BY v.convenant_id, v.version"""
SELECT_SUBJECTS_OF_CASES = ("SELECT cs.case_id, s.id, s.type, s.name, s.birth_date, s.bsn_hash, s.postcode, "
                            "s.house_number, s.area, s.match_key, s.member_of, s.created_at FROM casus_subject cs "
                            "JOIN subject s ON s.id = cs.subject_id WHERE cs.case_id = ANY($1::uuid[]) "
                            "ORDER BY s.created_at, s.id")
SELECT_ORGANISATION = "SELECT id, code, name, kind, created_at FROM organisation WHERE code = $1"
UPDATE_CASE = ("UPDATE casus SET state = $1, tier = $2, version = $3, state_entered_at = $4, due_at = $5, "
               "updated_at = $6 WHERE id = $7")
INSERT_TRANSITION = ("INSERT INTO casus_transition (id, case_id, version, trigger, from_state, to_state, reason, data, "
                     "data_category, actor_sub, actor_org, actor_role, created_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
LOCK_HEAD = "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"
INSERT_AUDIT = ("INSERT INTO audit_log (seq, id, created_at, actor_sub, actor_org, actor_role, action, object_type, "
                "object_id, case_id, subject_ids, convenant_id, convenant_version, legal_basis, toelichting, outcome, "
                "detail, request_id, client_address, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")
INSERT_AUDIT_SUBJECT = "INSERT INTO audit_log_subject (seq, subject_id) VALUES ($1, $2)"
UPDATE_HEAD = "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1"
# flush_pending(deferred=True): the request's entries, unchained, into the staging table (one statement).
STAGED_FIELDS = ("id", "created_at", "actor_sub", "actor_org", "actor_role", "action", "object_type", "object_id",
                 "case_id", "subject_ids", "convenant_id", "convenant_version", "legal_basis", "toelichting",
                 "outcome", "detail", "request_id", "client_address")
INSERT_STAGED = (f"INSERT INTO audit_staging ({', '.join(STAGED_FIELDS)}) VALUES "
                 f"({', '.join(f'${i}' for i in range(1, len(STAGED_FIELDS) + 1))}) RETURNING staged_seq")

# list_page(): readable_listing() (the organisation's own participations of a covered type, joined to their
# cases), newest first by the participation's copy of the case's created_at (app/access/cases.py; migration 0019).
# PREVIOUS is the shape before it, kept as a baseline: every case newest first, each probed for participation.
_COVERED_TYPES = """SELECT ct.case_type FROM convenant_case_type ct
    JOIN convenant_version v ON v.id = ct.version_id
    JOIN convenant_party p ON p.version_id = v.id AND p.organisation = $1
    WHERE v.status = 'actief' AND v.valid_from <= $2 AND v.valid_until >= $2"""
SUMMARY_COLUMNS = ("casus.id, casus.reference, casus.case_type, casus.state, casus.tier, casus.version, casus.title, "
                   "casus.due_at, casus.closed_at, casus.regie_organisation, casus.created_at")
_APP = f"""
SELECT {SUMMARY_COLUMNS} FROM casus_participant mine JOIN casus ON casus.id = mine.case_id
WHERE mine.organisation = $1 AND casus.case_type = ANY(ARRAY({_COVERED_TYPES}))
  {{after}}
ORDER BY mine.case_created_at DESC, mine.case_id DESC
LIMIT $3"""
_PREVIOUS = f"""
SELECT {SUMMARY_COLUMNS} FROM casus
WHERE casus.case_type = ANY(ARRAY({_COVERED_TYPES}))
  AND EXISTS (SELECT 1 FROM casus_participant cp WHERE cp.case_id = casus.id AND cp.organisation = $1)
  {{after}}
ORDER BY casus.created_at DESC, casus.id DESC
LIMIT $3"""
_AFTER = {"app": "AND (mine.case_created_at, mine.case_id) < ($4, $5)",
          "previous": "AND (casus.created_at, casus.id) < ($4, $5)"}
LIST_SQL = {(shape, deep): sql.format(after=_AFTER[shape] if deep else "")
            for shape, sql in (("app", _APP), ("previous", _PREVIOUS)) for deep in (False, True)}


def audit_fields(*, sub: str, org: str, role: str, action: str, object_type: str, object_id: Any = None,
                 case_id: uuid.UUID | None = None, subject_ids: list[str] | None = None,
                 grant: asyncpg.Record | None = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields app.audit.record.record() builds for one entry."""
    return {
        "id": uuid.uuid4(), "created_at": datetime.now(UTC), "actor_sub": sub, "actor_org": org,
        "actor_role": role, "action": action, "object_type": object_type,
        "object_id": None if object_id is None else str(object_id), "case_id": case_id,
        "subject_ids": sorted(subject_ids or []),
        "convenant_id": grant["convenant_id"] if grant else None,
        "convenant_version": grant["version"] if grant else None,
        "legal_basis": grant["legal_basis"] if grant else None, "toelichting": None, "outcome": "allowed",
        "detail": detail, "request_id": uuid.uuid4().hex, "client_address": "127.0.0.1",
    }


async def append_audit(conn: asyncpg.Connection, fields: dict[str, Any]) -> None:
    """flush_pending(): lock the chain head, insert the chained entry (and its subject index), move the head."""
    head = await conn.fetchrow(LOCK_HEAD)
    seq = head["seq"] + 1
    digest = entry_hash(head["hash"], dict(fields, seq=seq))
    f = fields
    await conn.execute(INSERT_AUDIT, seq, f["id"], f["created_at"], f["actor_sub"], f["actor_org"], f["actor_role"],
                       f["action"], f["object_type"], f["object_id"], f["case_id"], json.dumps(f["subject_ids"]),
                       f["convenant_id"], f["convenant_version"], f["legal_basis"], f["toelichting"], f["outcome"],
                       json.dumps(f["detail"]), f["request_id"], f["client_address"], head["hash"], digest)
    if f["subject_ids"]:
        await conn.executemany(INSERT_AUDIT_SUBJECT, [(seq, s) for s in f["subject_ids"]])
    await conn.execute(UPDATE_HEAD, seq, digest)


def _staged_values(fields: dict[str, Any]) -> list[Any]:
    return [json.dumps(fields[k]) if k in ("subject_ids", "detail") else fields[k] for k in STAGED_FIELDS]


async def stage_entry(conn: asyncpg.Connection, fields: dict[str, Any]) -> None:
    """flush_pending() on PostgreSQL since issue 11: the entry staged unchained, no lock shared with others."""
    await conn.fetchval(INSERT_STAGED, *_staged_values(fields))


async def stage_entries(conn: asyncpg.Connection, entries: list[dict[str, Any]]) -> None:
    """Several entries of one request (a signal batch) staged in one pipelined executemany."""
    await conn.executemany(INSERT_STAGED.removesuffix(" RETURNING staged_seq"), [_staged_values(f) for f in entries])


# A change locks the case, then reads it with its participants, subjects, the caller's participation and the
# convenant epoch in one statement after the lock (app/cases/loading.py: _LOCK, _CASE).
LOCK_CASE = "SELECT casus.id FROM casus WHERE casus.id = $1 FOR UPDATE"
SELECT_CASE_WITH_FACTS = (
    f"SELECT {', '.join('casus.' + c.strip() for c in CASE_COLUMNS.split(','))}, "
    "(SELECT token FROM convenant_epoch WHERE id = 1) AS epoch, "
    "EXISTS (SELECT 1 FROM casus_participant WHERE casus_participant.case_id = casus.id "
    "AND casus_participant.organisation = $2) AS participates, "
    "p.organisation, p.basis, p.added_at, p.added_by, p.case_created_at, "
    "s.id AS subject_id, s.type, s.name, s.birth_date, s.bsn_hash, s.postcode, s.house_number, s.area, s.match_key, "
    "s.member_of, s.created_at AS subject_created_at "
    "FROM casus LEFT OUTER JOIN casus_participant AS p ON casus.id = p.case_id "
    "LEFT OUTER JOIN (casus_subject AS cs JOIN subject AS s ON s.id = cs.subject_id) ON casus.id = cs.case_id "
    "WHERE casus.id = $1 ORDER BY p.organisation, s.created_at, s.id")
_N = len(STAGED_FIELDS)
_CASE_SETS = ("state", "tier", "version", "state_entered_at", "due_at", "updated_at")
_TRANSITION_COLUMNS = ("id, case_id, version, trigger, from_state, to_state, reason, data, data_category, actor_sub, "
                       "actor_org, actor_role, created_at")
# The case.transitioned event (app/events/publish.py), one outbox row per transition.
_OUTBOX_COLUMNS = "id, type, subject, case_id, data_category, envelope, created_at"
FUSED_WRITE = (
    "WITH w0 AS (UPDATE casus SET "
    + ", ".join(f"{c} = ${_N + 1 + k}" for k, c in enumerate(_CASE_SETS))
    + f" WHERE id = ${_N + 7}), "
    + f"w1 AS (INSERT INTO casus_transition ({_TRANSITION_COLUMNS}) VALUES ("
    + ", ".join(f"${i}" for i in range(_N + 8, _N + 21)) + ")), "
    + f"w2 AS (INSERT INTO event_outbox ({_OUTBOX_COLUMNS}) VALUES ("
    + ", ".join(f"${i}" for i in range(_N + 21, _N + 28)) + ")) "
    + f"INSERT INTO audit_staging ({', '.join(STAGED_FIELDS)}) VALUES ({', '.join(f'${i}' for i in range(1, _N + 1))})"
)

def _transitioned_event(case: asyncpg.Record, trigger: str, source: str, dest: str, version: int, org: str,
                        now: datetime) -> tuple[Any, ...]:
    """The case.transitioned outbox row as app.events.outbox builds it (its CloudEvent envelope included), in
    _OUTBOX_COLUMNS order."""
    data = {"case_id": case["id"], "reference": case["reference"], "case_type": case["case_type"], "state": dest,
            "tier": IJAM_TIERS[dest], "version": version, "trigger": trigger, "from_state": source,
            "actor_organisation": org}
    event = outbox.row(EventType.case_transitioned, case["id"], data, case_id=case["id"], at=now)
    return tuple(event[c.strip()] for c in _OUTBOX_COLUMNS.split(","))


_GRANT_CACHE: dict[tuple[str, str, uuid.UUID], asyncpg.Record] = {}


async def fused_transition(conn: asyncpg.Connection, case_id: uuid.UUID, trigger: str, *, org: str = "zvh-mh",
                           sub: str = "bench-raw", role: str = "procesregisseur") -> str:
    """R1: the app's transition on PostgreSQL (5 round trips with BEGIN and COMMIT)."""
    async with conn.transaction():
        await conn.fetchval(LOCK_CASE, case_id)
        rows = await conn.fetch(SELECT_CASE_WITH_FACTS, case_id, org)
        case = rows[0]
        subjects = list({r["subject_id"]: r for r in rows if r["subject_id"] is not None}.values())
        if not case["participates"]:
            raise PermissionError("not a participant")
        key = (case["epoch"], org, case_id)
        grant = _GRANT_CACHE.get(key)
        if grant is None:  # the app caches per (organisation, case type, day); one per case here, read before the load
            grant = _GRANT_CACHE[key] = best_grant(await conn.fetch(SELECT_GRANTS_FOR_CASE, date.today(), org, case_id))
        source, dest = _next(case, trigger)
        now = datetime.now(UTC)
        version = case["version"] + 1
        fields = audit_fields(
            sub=sub, org=org, role=role, action="case:transition", object_type="case", object_id=case_id,
            case_id=case_id, subject_ids=[str(r["subject_id"]) for r in subjects], grant=grant,
            detail={"trigger": trigger, "from": source, "to": dest, "version": version})
        await conn.execute(FUSED_WRITE, *_staged_values(fields), dest, IJAM_TIERS[dest], version, now,
                           now + timedelta(days=IJAM_MAX_DAGEN), now, case_id, uuid.uuid4(), case_id, version,
                           trigger, source, dest, f"reden voor {trigger}", "{}", None, sub, org, role, now,
                           *_transitioned_event(case, trigger, source, dest, version, org, now))
    return dest


IJAM_TIERS = {"knooppunt_school": 1, "netwerkoverleg": 2}
IJAM_MAX_DAGEN = 60


def best_grant(rows: list[asyncpg.Record]) -> asyncpg.Record:
    """app.convenants.grants.best_grant: the version covering the most categories, then the lowest convenant id."""
    categories: dict[uuid.UUID, int] = {}
    first: dict[uuid.UUID, asyncpg.Record] = {}
    for r in rows:
        first.setdefault(r["id"], r)
        categories[r["id"]] = categories.get(r["id"], 0) + (r["category"] is not None)
    return first[min(first, key=lambda vid: (-categories[vid], str(first[vid]["convenant_id"])))]


def _next(case: asyncpg.Record, trigger: str) -> tuple[str, str]:
    source = case["state"]
    dest = "netwerkoverleg" if trigger == "opschalen" else "knooppunt_school"
    if source == dest or source not in IJAM_TIERS:
        raise ValueError(f"{trigger} not possible in {source}")
    return source, dest


async def _write_transition(conn: asyncpg.Connection, case_id: uuid.UUID, case: asyncpg.Record, trigger: str,
                            source: str, dest: str, sub: str, org: str, role: str) -> int:
    now = datetime.now(UTC)
    version = case["version"] + 1
    await conn.execute(UPDATE_CASE, dest, IJAM_TIERS[dest], version, now, now + timedelta(days=IJAM_MAX_DAGEN),
                       now, case_id)
    await conn.execute(INSERT_TRANSITION, uuid.uuid4(), case_id, version, trigger, source, dest,
                       f"reden voor {trigger}", "{}", None, sub, org, role, now)
    return version


async def transition(conn: asyncpg.Connection, case_id: uuid.UUID, trigger: str, *, org: str = "zvh-mh",
                     sub: str = "bench-raw", role: str = "procesregisseur", append: str = "staging") -> str:
    """One transition with the app's transaction shape; returns the new state. `append` (AUDIT_APPENDS): "staging"
    (R1, the app since issue 11), "headlock" (R2, the app before), or a what-if of bench/chain_lock.py."""
    async with conn.transaction():
        # The app's order on PostgreSQL (captured, bench/capture.py): the case locked, its participants, its
        # subjects (read once: for the audit entry and the answer), the grants of the acting organisation for
        # it; the organisation's kind comes from a per-process cache and IJAM opschalen/afschalen have no plan
        # guard.
        case = await conn.fetchrow(SELECT_CASE_FOR_UPDATE, case_id)
        participants = await conn.fetch(SELECT_PARTICIPANTS, [case_id])
        subjects = await conn.fetch(SELECT_SUBJECTS_OF_CASES, [case_id])
        if not any(p["organisation"] == org for p in participants):
            raise PermissionError("not a participant")
        grants = await conn.fetch(SELECT_GRANTS_FOR_CASE, date.today(), org, case_id)
        if not grants:
            raise PermissionError("no convenant")
        source, dest = _next(case, trigger)
        version = await _write_transition(conn, case_id, case, trigger, source, dest, sub, org, role)
        await AUDIT_APPENDS[append](conn, audit_fields(
            sub=sub, org=org, role=role, action="case:transition", object_type="case", object_id=case_id,
            case_id=case_id, subject_ids=[str(r["id"]) for r in subjects], grant=best_grant(grants),
            detail={"trigger": trigger, "from": source, "to": dest, "version": version}))
    return dest


async def lean_context(conn: asyncpg.Connection, case_ids: list[uuid.UUID], org: str = "zvh-mh"
                       ) -> dict[uuid.UUID, tuple[list[str], asyncpg.Record]]:
    """R0's audit context, read once before the load: each case's subject ids and the grant of `org`."""
    out: dict[uuid.UUID, tuple[list[str], asyncpg.Record]] = {}
    for cid in case_ids:
        subjects = await conn.fetch(SELECT_SUBJECTS_OF_CASES, [cid])
        grants = await conn.fetch(SELECT_GRANTS_FOR_CASE, date.today(), org, cid)
        out[cid] = ([str(r["id"]) for r in subjects], best_grant(grants))
    return out


async def lean_transition(conn: asyncpg.Connection, case_id: uuid.UUID, trigger: str,
                          context: tuple[list[str], asyncpg.Record], *, org: str = "zvh-mh", sub: str = "bench-raw",
                          role: str = "procesregisseur") -> str:
    """R0: the least a transition must write: lock and update the case, its transition row, one staged audit
    row (as large as the app's: subject ids and legal basis from `context`, read before the load)."""
    async with conn.transaction():
        case = await conn.fetchrow(SELECT_CASE_FOR_UPDATE, case_id)
        source, dest = _next(case, trigger)
        version = await _write_transition(conn, case_id, case, trigger, source, dest, sub, org, role)
        subject_ids, grant = context
        await stage_entry(conn, audit_fields(
            sub=sub, org=org, role=role, action="case:transition", object_type="case", object_id=case_id,
            case_id=case_id, subject_ids=subject_ids, grant=grant,
            detail={"trigger": trigger, "from": source, "to": dest, "version": version}))
    return dest


async def list_page(conn: asyncpg.Connection, org: str, limit: int, after: tuple[datetime, uuid.UUID] | None,
                    shape: str = "app") -> list[asyncpg.Record]:
    """The list query as the app runs it (the summary columns, one row more than the page)."""
    sql = LIST_SQL[(shape, after is not None)]
    if after is None:
        rows = await conn.fetch(sql, org, date.today(), limit + 1)
    else:
        rows = await conn.fetch(sql, org, date.today(), limit + 1, after[0], after[1])
    return list(rows[:limit])


async def list_page_audited(conn: asyncpg.Connection, org: str, limit: int,
                            after: tuple[datetime, uuid.UUID] | None, *, role: str = "medewerker") -> int:
    """The request's SQL: the list, then its `case:list` entry staged, each statement on its own (autocommit),
    as the app's reads are written since issue 11 (no transaction; the entry durable before the answer)."""
    rows = await list_page(conn, org, limit, after)
    await stage_entry(conn, audit_fields(
        sub=f"bench-{role}@{org}", org=org, role=role, action="case:list", object_type="case",
        detail={"filters": {}, "case_ids": [str(r["id"]) for r in rows]}))
    return len(rows)


# --- what-if (bench/chain_lock.py only): the deferred chain as prototyped before issue 11 built it ---------
# The request's transaction inserts its entry unchained into a table of the benchmark's own; one chainer
# beside the clients takes committed entries in batches, chains them with the app's hashing into audit_log
# and moves the head once per batch. Kept to compare the prototype with the app's ledger (R1).
PENDING_DDL = """CREATE TABLE IF NOT EXISTS bench_audit_pending (
    pending_id bigserial PRIMARY KEY, id uuid NOT NULL, created_at timestamptz NOT NULL, actor_sub text NOT NULL,
    actor_org text NOT NULL, actor_role text, action text NOT NULL, object_type text NOT NULL, object_id text,
    case_id uuid, subject_ids text NOT NULL, convenant_id uuid, convenant_version integer, legal_basis text,
    toelichting text, outcome text NOT NULL, detail text, request_id text, client_address text)"""
_PENDING_FIELDS = ("id", "created_at", "actor_sub", "actor_org", "actor_role", "action", "object_type", "object_id",
                   "case_id", "subject_ids", "convenant_id", "convenant_version", "legal_basis", "toelichting",
                   "outcome", "detail", "request_id", "client_address")
INSERT_PENDING = (f"INSERT INTO bench_audit_pending ({', '.join(_PENDING_FIELDS)}) VALUES "
                  f"({', '.join(f'${i}' for i in range(1, len(_PENDING_FIELDS) + 1))})")
# One chainer at a time (the head row lock); committed rows only, oldest staged first.
TAKE_PENDING = ("DELETE FROM bench_audit_pending WHERE pending_id IN (SELECT pending_id FROM bench_audit_pending "
                "ORDER BY pending_id LIMIT $1) RETURNING *")


async def stage_audit(conn: asyncpg.Connection, fields: dict[str, Any]) -> None:
    """The request's part: one unchained insert, no lock shared with other requests."""
    values = [json.dumps(fields[k]) if k in ("subject_ids", "detail") else fields[k] for k in _PENDING_FIELDS]
    await conn.execute(INSERT_PENDING, *values)


async def chain_pending(conn: asyncpg.Connection, batch: int = 2000) -> int:
    """The chainer's part: chain up to `batch` staged entries in one transaction; returns how many."""
    async with conn.transaction():
        head = await conn.fetchrow(LOCK_HEAD)
        rows = sorted(await conn.fetch(TAKE_PENDING, batch), key=lambda r: r["pending_id"])
        if not rows:
            return 0
        seq, prev = head["seq"], head["hash"]
        entries, subjects = [], []
        for r in rows:
            seq += 1
            f = {k: r[k] for k in _PENDING_FIELDS}
            f["subject_ids"], f["detail"] = json.loads(f["subject_ids"]), json.loads(f["detail"])
            digest = entry_hash(prev, dict(f, seq=seq))
            entries.append((seq, f["id"], f["created_at"], f["actor_sub"], f["actor_org"], f["actor_role"],
                            f["action"], f["object_type"], f["object_id"], f["case_id"], r["subject_ids"],
                            f["convenant_id"], f["convenant_version"], f["legal_basis"], f["toelichting"],
                            f["outcome"], r["detail"], f["request_id"], f["client_address"], prev, digest))
            subjects += [(seq, s) for s in f["subject_ids"]]
            prev = digest
        await conn.executemany(INSERT_AUDIT, entries)
        if subjects:
            await conn.executemany(INSERT_AUDIT_SUBJECT, subjects)
        await conn.execute(UPDATE_HEAD, seq, prev)
    return len(rows)


# What-if (NOT the app's shape; measured in bench/RESULTS.md, recommended next): appenders first queue on a
# transaction-scoped advisory lock, which the lock manager grants in arrival order, then take the head row
# lock as the app does. Waiters for the row lock on the constantly updated head row are not served in order.
CHAIN_ADVISORY_KEY = 7_513_001  # any constant; NEN 7513 is the audit-logging standard


async def append_audit_advisory(conn: asyncpg.Connection, fields: dict[str, Any]) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", CHAIN_ADVISORY_KEY)
    await append_audit(conn, fields)


AUDIT_APPENDS = {"staging": stage_entry, "headlock": append_audit, "advisory": append_audit_advisory,
                 "deferred": stage_audit}
