from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from app.api.deps import PrincipalDep, SessionDep
from app.api.responses import PROBLEMS
from app.convenants import register
from app.convenants.schemas import ProcessingRegisterOut

router = APIRouter(prefix="/v1/processing-register", tags=["processing register"])

JSON = "application/json"
MARKDOWN = "text/markdown"


def _quality(accept: str, media_type: str) -> float:
    """The q-value the Accept header gives `media_type` (most specific range wins; 0 when not accepted)."""
    main = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        rng = fields[0].lower()
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        specificity = 2 if rng == media_type else 1 if rng == f"{main}/*" else 0 if rng == "*/*" else -1
        if specificity > best[0]:
            best = (specificity, q)
    return best[1] if best[0] >= 0 else 0.0


def prefers(accept: str | None, media_type: str) -> bool:
    """`media_type` only when asked for and preferred over JSON; JSON is the default for anything else."""
    if not accept:
        return False
    wanted = _quality(accept, media_type)
    return wanted > 0 and wanted > _quality(accept, JSON)


def wants_markdown(accept: str | None) -> bool:
    return prefers(accept, MARKDOWN)


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
