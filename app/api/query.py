"""Query parameters: types whose validation is exactly what the OpenAPI schema says, and the refusal of any
parameter an operation does not declare.

A period filter must not silently mean something else: anything but an RFC 3339 date-time with a UTC
offset is a 422, and so is one that is no moment in years 1-9999 once in UTC (app/kit/moments.py).
Nor may a filter be silently ignored: `?case_id=` on an operation that has no such filter, or a misspelt
`?stauts=`, would answer an unfiltered list that the client takes for a filtered one. Every `/v1` operation
(app/main.py) therefore refuses a query parameter it does not declare with a 422 naming it.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant

from app.kit.errors import ValidationFailed
from app.kit.moments import Moment

DateTimeQuery = Moment

def _declared(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared(sub)
    return names


def declared_query_parameters(route: object) -> frozenset[str]:
    """The query parameters the route's operation declares: its own and its dependencies' (a walk over a few
    objects, only for requests that carry a query)."""
    dependant = getattr(route, "dependant", None)
    return frozenset(_declared(dependant)) if isinstance(dependant, Dependant) else frozenset()


async def reject_unknown_query_parameters(request: Request) -> None:
    """A dependency of every `/v1` operation: the request's query keys against the route's declared parameters."""
    if not request.query_params:
        return
    declared = declared_query_parameters(request.scope.get("route"))
    # Names only, never values, and cut short: they come back to the caller, not into any log.
    unknown = sorted({key[:100] for key in request.query_params if key not in declared})
    if unknown:
        raise ValidationFailed(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            errors=[{"loc": ["query", name], "msg": "unknown query parameter; this operation does not take it"}
                    for name in unknown],
        )
