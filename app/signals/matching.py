"""Matching: which untriaged signals and open cases concern the same subject as this one.

The keys are the subject's `match_key` (BSN hash, postcode + house number, or normalised group name), made once
by app/subjects when the subject row is built, and for a person whose address is known that address: a signal
about a resident matches the signals and cases on the house, and the other way round. What a caller sees of the
matches is decided in SQL: cases through `access.readable_cases`, signals through `visible_signals`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.auth.principal import Principal
from app.cases.models import Case, CaseSubject
from app.signals.models import Signal
from app.signals.schemas import MatchOut
from app.subjects.identity import address_of
from app.subjects.models import Subject
from app.vocabulary import MatchKind, SignalStatus, SubjectType
from app.workflows.model import FINAL_STATE

# Per kind: enough to show the partners who worry about the same subject, not an unbounded list.
MATCH_LIMIT = 50


def _same_subject(keys: Sequence[str]) -> Select[uuid.UUID]:
    """The subject rows on any of `keys`; on an address key also the persons known to live there."""
    on: ColumnElement[bool] = Subject.match_key.in_(keys)
    for postcode, number in (a for a in map(address_of, keys) if a is not None):
        on = or_(on, and_(Subject.postcode == postcode, Subject.house_number == number,
                          Subject.type == SubjectType.persoon))
    return select(Subject.id).where(on)


async def find(
    session: AsyncSession, principal: Principal, keys: Sequence[str], *, exclude_signal: Any = None
) -> list[MatchOut]:
    """Untriaged signals and open cases on any of `keys` (app/subjects `keys_of`), oldest first; none for a caller
    without `signal:read`."""
    if not keys or not access.may_see_all_signals(principal):
        return []
    same_subject = _same_subject(keys)
    signal_stmt = access.readable_signals(principal, select(Signal)).where(
        Signal.status == SignalStatus.ontvangen, Signal.subject_id.in_(same_subject))
    if exclude_signal is not None:
        signal_stmt = signal_stmt.where(Signal.id != exclude_signal)
    signal_rows = (await session.execute(
        signal_stmt.order_by(Signal.created_at, Signal.id).limit(MATCH_LIMIT))).scalars()
    case_stmt = access.readable_cases(principal, select(Case)).where(
        Case.state != FINAL_STATE,
        Case.id.in_(select(CaseSubject.case_id).where(CaseSubject.subject_id.in_(same_subject))),
    )
    case_rows = (await session.execute(case_stmt.order_by(Case.created_at, Case.id).limit(MATCH_LIMIT))).scalars()
    matches = [
        MatchOut(kind=MatchKind.signaal, id=s.id, source_organisation=s.source_organisation,
                 case_type=s.case_type_hint, status=s.status, created_at=s.created_at)
        for s in signal_rows
    ]
    matches += [
        MatchOut(kind=MatchKind.casus, id=c.id, case_type=c.case_type, status=c.state,
                 reference=c.reference, created_at=c.created_at)
        for c in case_rows
    ]
    return matches


async def find_in_order(
    session: AsyncSession, principal: Principal, new: Sequence[tuple[tuple[str, ...], MatchOut]]
) -> list[list[MatchOut]]:
    """`find` for signals stored one after another (a batch, in key order), each as it would be right after
    it was stored: the database's matches on its keys, then the earlier signals of `new` sharing a key.

    `new` holds each signal's match keys and the signal as a match; call it before they are written.
    One `find` per distinct set of keys. The caller's own organisation's signals are always visible to it.
    """
    found = {keys: await find(session, principal, keys) for keys in dict.fromkeys(k for k, _ in new) if keys}
    earlier: dict[str, list[MatchOut]] = {}
    out: list[list[MatchOut]] = []
    for keys, match in new:
        if not keys or not access.may_see_all_signals(principal):
            out.append([])
            continue
        signals = [m for m in found[keys] if m.kind == "signaal"]
        cases = [m for m in found[keys] if m.kind == "casus"]
        # Earlier signals of the batch on any of these keys, each once, in the order they were stored.
        mine = {m.id: m for key in keys for m in earlier.get(key, [])}
        out.append((signals + sorted(mine.values(), key=lambda m: m.created_at))[:MATCH_LIMIT] + cases)
        for key in keys:
            earlier.setdefault(key, []).append(match)
    return out
