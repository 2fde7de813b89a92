"""Content negotiation for the operations that answer a document format besides JSON (Markdown for the
processing register and a besluitenlijst, CSV for the monitor report): JSON unless the Accept header prefers the
other format."""

from __future__ import annotations

JSON = "application/json"
MARKDOWN = "text/markdown"
CSV = "text/csv"


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


def wants_csv(accept: str | None) -> bool:
    return prefers(accept, CSV)
