"""The monitor report's figures (issue 18, REPORTS-SPEC.md) against the same figures computed independently from
the generated dataset (tests/reports/generator.py): the whole JSON, the CSV row by row, small-cell suppression,
and no personal data in either."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.reports.conftest import REQUESTS, VIEWER, ReportRequest, get_report
from tests.reports.generator import (
    INDICATOR_CODES,
    SECRET_MARKERS,
    SUPPRESSED,
    Dataset,
    csv_rows_of,
    differences,
    expected_report,
    generate,
    insert,
    value_kinds,
)

IDS = [r.name for r in REQUESTS]


def _labels_consistent(report: dict[str, Any]) -> list[str]:
    labels: dict[str, set[str]] = defaultdict(set)
    for ind in report["indicators"]:
        labels[ind["code"]].add(ind["label"])
    return [f"{code}: several labels {sorted(ls)}" for code, ls in labels.items() if len(ls) > 1]


@pytest.mark.parametrize("request_", REQUESTS, ids=IDS)
async def test_report_equals_expected(client: httpx.AsyncClient, auth: TokenFactory, seeded: Dataset,
                                      request_: ReportRequest) -> None:
    r = await get_report(client, auth(*VIEWER), request_)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    got = r.json()
    expected = expected_report(seeded, request_.start, request_.end, request_.group_by, request_.as_of)
    problems = differences(expected, got) + _labels_consistent(got)
    assert not problems, "\n".join(problems[:80])


@pytest.mark.parametrize("request_", REQUESTS[1:4], ids=IDS[1:4])
async def test_csv_equals_json(client: httpx.AsyncClient, auth: TokenFactory, seeded: Dataset,
                               request_: ReportRequest) -> None:
    h = auth(*VIEWER)
    as_json = await get_report(client, h, request_)
    as_csv = await get_report(client, h, request_, accept="text/csv")
    assert as_json.status_code == 200, as_json.text
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    expected = csv_rows_of(as_json.json())
    assert rows[0] == expected[0]
    assert len(rows) == len(expected)
    mismatched = [(i, e, g) for i, (e, g) in enumerate(zip(expected, rows, strict=True)) if e != g]
    assert not mismatched, "\n".join(f"row {i}: expected {e}, got {g}" for i, e, g in mismatched[:30])


async def test_suppression_and_no_personal_data(client: httpx.AsyncClient, auth: TokenFactory,
                                                seeded: Dataset) -> None:
    h = auth(*VIEWER)
    kinds: dict[str, set[str]] = defaultdict(set)
    texts: list[str] = []
    for request_ in REQUESTS:
        r = await get_report(client, h, request_)
        assert r.status_code == 200, r.text
        report = r.json()
        texts += [r.text, (await get_report(client, h, request_, accept="text/csv")).text]
        for code, seen in value_kinds(report).items():
            kinds[code] |= seen
        assert report["suppression"] == {"below": 5, "shown_as": "<5"}
        for ind in report["indicators"]:
            if ind["unit"] == "dagen":
                assert ind["value"] is None
            for cell in ind["breakdown"]:
                if ind["unit"] == "dagen":
                    # A duration over 1-4 stays is withheld; over 5 or more it is shown.
                    assert (cell["value"] is None) == (cell["count"] == SUPPRESSED), (ind["code"], cell)
                    assert cell["count"] != 0, (ind["code"], cell)
                else:
                    assert cell["count"] is None and cell["value"] != 0, (ind["code"], cell)
    # Counts 1-4 never appear as numbers, 0 and >= 5 always as integers.
    bad = {code: sorted(k for k in seen if k.startswith("bad")) for code, seen in kinds.items()}
    assert not any(bad.values()), bad
    # Not vacuous: every indicator shows both suppressed and unsuppressed counts, and zeros occur.
    lacking = {code: sorted({"<5", ">=5"} - kinds[code]) for code in INDICATOR_CODES if {"<5", ">=5"} - kinds[code]}
    assert not lacking, lacking
    assert any("0" in seen for seen in kinds.values())
    # No personal data: no generated name, BSN hash, title, description, reference, or any id.
    everything = "\n".join(texts)
    for marker in SECRET_MARKERS:
        assert marker.lower() not in everything.lower()
    forbidden = {c.reference for c in seeded.cases} | {str(c.id) for c in seeded.cases}
    forbidden |= {str(s.id) for s in seeded.subjects} | {str(s.id) for s in seeded.signals}
    forbidden |= {s.name for s in seeded.subjects if s.name} | {s.bsn_hash for s in seeded.subjects if s.bsn_hash}
    forbidden |= {c.title for c in seeded.cases} | {s.description for s in seeded.signals}
    leaked = sorted(f for f in forbidden if f in everything)
    assert not leaked, leaked[:10]
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", everything)
    # The JSON is what the spec lists, nothing more at the top.
    assert set(json.loads(texts[0])) == {"from", "to", "group_by", "as_of", "suppression", "indicators"}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_other_datasets_by_month(client: httpx.AsyncClient, auth: TokenFactory, db_url: str,
                                       seed: int) -> None:
    """Other random datasets, the whole span of their data by month: the figures agree there too."""
    ds = generate(random.Random(seed))
    await insert(ds, db_url)
    request_ = ReportRequest(f"seed-{seed}", date(2024, 12, 15), date(2026, 3, 31), "month",
                             datetime(2026, 3, 28, 23, 59, 59, tzinfo=UTC))
    r = await get_report(client, auth(*VIEWER), request_)
    assert r.status_code == 200, r.text
    expected = expected_report(ds, request_.start, request_.end, request_.group_by, request_.as_of)
    problems = differences(expected, r.json())
    assert not problems, "\n".join(problems[:80])
