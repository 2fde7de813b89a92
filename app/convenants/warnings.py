"""What a convenant administrator should know before (or after) activating a version, without it being wrong.

A ladder may ask that whoever holds regie on its cases sees one data category (ex_gedetineerde: `veiligheid`, since
18b meldingen and beheersmaatregelen are registered on the cases it directs). A party of a level-owner kind
(app/workflows: the kinds that get regie on some rung) without that category would hold regie over data it may
not read. That is allowed — the convenant is what the partners signed — but it is said, on every answer that shows
the version.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from app.convenants.models import ConvenantVersion
from app.convenants.views import ConvenantView, ConvenantWarning
from app.organisations import lookup as organisations
from app.workflows.engine import get_engine

REGIE_WITHOUT_CATEGORY = "regie_zonder_categorie"


async def regie_warnings(session: AsyncSession, version: ConvenantVersion) -> tuple[ConvenantWarning, ...]:
    """A warning per (case type, party) where the party may get regie but lacks the ladder's regie category."""
    engine = get_engine()
    found: list[ConvenantWarning] = []
    for case_type in sorted(str(c.case_type) for c in version.case_types):
        ladder = engine.ladder(case_type)
        needed = ladder.regie_category
        if needed is None:
            continue
        owner_kinds = {s.owner for s in ladder.states if s.owner is not None}
        for party in sorted(version.parties, key=lambda p: p.organisation):
            if needed in {str(c.category) for c in party.categories}:
                continue
            if await organisations.kind_of(session, party.organisation) in owner_kinds:
                found.append(ConvenantWarning(
                    REGIE_WITHOUT_CATEGORY, case_type, party.organisation, needed,
                    f"{party.organisation} may hold regie on {case_type} cases but is not granted {needed}"))
    return tuple(found)


async def warned(session: AsyncSession, view: ConvenantView) -> ConvenantView:
    return replace(view, warnings=await regie_warnings(session, view.version))
