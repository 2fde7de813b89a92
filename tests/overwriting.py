"""Case writes need If-Match (issue 13: lost updates are not opt-in; without it 428). Most tests are not about
versions: their client writes as one that deliberately overwrites whatever version is current (`If-Match: *`,
which the API accepts) unless the test sends its own If-Match. tests/api/test_if_match_required.py and the
concurrency tests use real ETags, and a client without this hook."""

from __future__ import annotations

import re

import httpx

CASE_WRITE = re.compile(r"^/v1/cases/[^/]+(/transitions|/plan(/actions/[^/]+)?|/participants(/[^/]+)?)?$")
WRITE_METHODS = {"PATCH", "POST", "PUT", "DELETE"}


async def overwrite_unless_told(request: httpx.Request) -> None:
    if request.method in WRITE_METHODS and CASE_WRITE.match(request.url.path) and "if-match" not in request.headers:
        request.headers["If-Match"] = "*"


HOOKS = {"request": [overwrite_unless_told]}
