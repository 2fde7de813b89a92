"""The headers of the HTTP contract, declared in the OpenAPI document (issue 13 item 4): what a generated
client or a portal may read from a response, and may send with a request.

FastAPI declares neither response headers nor headers read by middleware; they are added here from one table,
so that the document says what app/api/middleware.py and the routers send. tests/api/test_contract_headers.py
checks the table against real responses.
"""

from __future__ import annotations

from typing import Any

from app import API_VERSION

_STRING = {"type": "string"}

RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "API-Version": {"description": "The full version of this API (Logius ADR /core/version-header)",
                    "schema": {**_STRING, "example": API_VERSION}},
    "X-Request-ID": {"description": "The server's id of this request: quote it when reporting a problem; the "
                                    "audit log records it", "schema": {**_STRING, "pattern": "^[0-9a-f]{32}$"}},
    "ETag": {"description": 'The version of the case (of the meeting, on /v1/meetings), quoted (`"3"`): send it '
                            'back in `If-Match` on the next write',
             "schema": {**_STRING, "example": '"3"'}},
    "Location": {"description": "Where the created resource (or, for a note, the case's notes) is read",
                 "schema": {**_STRING, "format": "uri-reference"}},
    "Idempotent-Replayed": {"description": "`true` when this is the stored answer to an earlier request with "
                                           "the same Idempotency-Key and body",
                            "schema": {**_STRING, "enum": ["true", "false"]}},
    "WWW-Authenticate": {"description": "The bearer challenge (RFC 6750)", "schema": _STRING},
    "Retry-After": {"description": "Seconds after which to retry", "schema": {**_STRING, "pattern": "^[0-9]+$"}},
}

# Sent on every response, whatever its status.
ALWAYS = ("API-Version", "X-Request-ID")
BY_STATUS = {"401": ("WWW-Authenticate",), "503": ("Retry-After",)}

# (operationId, status) -> the headers that operation's success sends besides ALWAYS.
BY_OPERATION: dict[tuple[str, str], tuple[str, ...]] = {
    ("createCase", "201"): ("Location", "ETag"),
    ("getCase", "200"): ("ETag",),
    ("patchCase", "200"): ("ETag",),
    ("fireTransition", "200"): ("ETag",),
    ("addParticipant", "201"): ("ETag",),
    ("removeParticipant", "204"): ("ETag",),
    ("addMember", "201"): ("ETag",),
    ("extendRetention", "201"): ("ETag",),
    ("removeMember", "204"): ("ETag",),
    ("putPlan", "200"): ("ETag",),
    ("updatePlanAction", "200"): ("ETag",),
    ("addNote", "201"): ("Location",),
    ("createOrganisation", "201"): ("Location",),
    ("createConvenant", "201"): ("Location",),
    ("submitSignal", "201"): ("Location", "Idempotent-Replayed"),
    ("sendSignalFeedback", "201"): ("Location",),
    ("createMeeting", "201"): ("Location", "ETag"),
    ("getMeeting", "200"): ("ETag",),
    ("patchMeeting", "200"): ("ETag",),
    ("addAgendaItem", "201"): ("Location", "ETag"),
    ("addDecision", "201"): ("Location", "ETag"),
}

REQUEST_HEADERS: dict[str, dict[str, Any]] = {
    "X-Audit-Toelichting": {
        "name": "X-Audit-Toelichting", "in": "header", "required": False,
        "description": "Why the caller reads or writes this (stored in the audit log; the first 1000 characters). "
                       "UTF-8; Latin-1 is accepted; text outside Latin-1 may be sent percent-encoded as "
                       "`UTF-8''<percent-encoded>` (RFC 8187). Long digit runs are stored as `[nummer]`.",
        "schema": _STRING},
    "X-Request-ID": {
        "name": "X-Request-ID", "in": "header", "required": False,
        "description": "The client's own id of this request, logged beside the server's (which the response's "
                       "`X-Request-ID` carries) when it is 1-100 letters, digits, `-`, `_`, `.`, `:`; any other "
                       "value is ignored, not refused",
        "schema": _STRING},
}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def declare(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    components["headers"] = RESPONSE_HEADERS
    components.setdefault("parameters", {}).update(REQUEST_HEADERS)
    for path, path_item in document.get("paths", {}).items():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            op_id = operation.get("operationId", "")
            parameters = operation.setdefault("parameters", [])
            names = [p.get("name") for p in parameters]
            if path.startswith("/v1/") and "X-Audit-Toelichting" not in names:
                parameters.append(_ref("parameters", "X-Audit-Toelichting"))
            parameters.append(_ref("parameters", "X-Request-ID"))
            for parameter in parameters:
                if parameter.get("name") == "If-Match":
                    # Answered 428 without it (app/cases/loading.py, app/meetings/loading.py: parse_if_match): required.
                    parameter["required"] = True
            for status, response in operation.get("responses", {}).items():
                names_sent = (*ALWAYS, *BY_STATUS.get(status, ()), *BY_OPERATION.get((op_id, status), ()))
                response["headers"] = {name: _ref("headers", name) for name in names_sent}
    return document
