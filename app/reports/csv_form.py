"""The monitor report as CSV for the council report: the same content as the JSON, one row per indicator figure
(dimensions empty) followed by one row per cell of its breakdown; empty for null."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.reports.figures import DIMENSIONS
from app.reports.schemas import MonitorReport

COLUMNS = ("code", "label", "unit", "from", "to", "as_of", *DIMENSIONS, "count", "value")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    return str(value)


def render(report: MonitorReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for figure in report.indicators:
        head = [figure.code.value, figure.label, figure.unit.value, _text(figure.from_), _text(figure.to),
                _text(figure.as_of)]
        writer.writerow([*head, *("" for _ in DIMENSIONS), "", _text(figure.value)])
        for cell in figure.breakdown:
            writer.writerow([*head, *(_text(getattr(cell, d)) for d in DIMENSIONS), _text(cell.count),
                             _text(cell.value)])
    return out.getvalue()
