"""The ladders' codes as closed vocabularies for the contract (issue 13 item 5): every state, trigger and step of
the five ladders, read off the ladder definitions, so that a generated client knows them (`trigger: "afschalenn"`
does not compile) and the API refuses anything else with a 422 naming the field.

One list across ladders: which of them apply to a case type is the ladder's own data (GET /v1/workflows/{type},
and GET /v1/cases/{id}/transitions for what may be fired now).
"""

from __future__ import annotations

from app.workflows import ex_gedetineerde, ijam, jeugdgroep, radicalisering, woonoverlast

_LADDERS = (jeugdgroep.LADDER, woonoverlast.LADDER, ex_gedetineerde.LADDER, radicalisering.LADDER, ijam.LADDER)

STATES: tuple[str, ...] = tuple(sorted({s.code for lad in _LADDERS for s in lad.states}))
TRIGGERS: tuple[str, ...] = tuple(sorted({t.trigger for lad in _LADDERS for t in lad.transitions}))
STEPS: tuple[str, ...] = tuple(sorted({s.step for lad in _LADDERS for s in lad.states if s.step is not None}))
# The history's first entry: the case opened (no trigger of a ladder).
CREATED = "aanmaken"
HISTORY_TRIGGERS: tuple[str, ...] = tuple(sorted({*TRIGGERS, CREATED}))
