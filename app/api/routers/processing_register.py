from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from app.api.deps import PrincipalDep, SessionDep
from app.api.negotiation import JSON, MARKDOWN, wants_markdown
from app.api.responses import PROBLEMS
from app.convenants import register
from app.convenants.schemas import ProcessingRegisterOut

router = APIRouter(prefix="/v1/processing-register", tags=["processing register"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The register as JSON, or as a Markdown document with `Accept: text/markdown`",
        "content": {MARKDOWN: {"schema": {"type": "string"}}},
    },
    **PROBLEMS(401, 403),
}


@router.get("", response_model=ProcessingRegisterOut, responses=_RESPONSES)
async def get_processing_register(request: Request, session: SessionDep, principal: PrincipalDep) -> Any:
    """AVG art. 30 register: one record per active, currently valid convenant."""
    result = await register.build(session, principal, request.app.state.settings)
    if wants_markdown(request.headers.get("accept")):
        return Response(register.render_markdown(result), media_type=f"{MARKDOWN}; charset=utf-8",
                        headers={"Vary": "Accept"})
    return Response(result.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})
