"""Lists that refuse what they do not know: a query parameter the route does not declare is a 422 naming it,
not silently ignored (a misspelt filter, `?statuss=gereed`, would otherwise answer the unfiltered list)."""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import APIRoute

from app.kit.errors import ValidationFailed


async def known_query_only(request: Request) -> None:
    route = request.scope.get("route")
    declared = {p.alias for p in route.dependant.query_params} if isinstance(route, APIRoute) else set()
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise ValidationFailed("Unknown query parameters: " + ", ".join(unknown),
                               errors=[{"loc": ["query", name], "msg": "unknown query parameter"} for name in unknown])
