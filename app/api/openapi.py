"""The OpenAPI document the app serves (and `casusregie openapi` commits), with corrections to FastAPI's.

Operation ids are the route functions' names in camelCase (`listCases`, `fireTransition`), stable for
generated clients. Headers are declared from app/api/contract_headers.py. FastAPI's own 422 body
(`HTTPValidationError`) is never sent: every 422 is the RFC 9457 Problem, and says so.

FastAPI renders an optional parameter (`x: str | None = None`) as `anyOf: [{...}, {"type": "null"}]`.
A query, header or path parameter cannot be null, only absent: the `null` branch tells clients
(and generated clients, and fuzzers) to send the text "null", which the API rightly refuses. The
document here states what is accepted: the parameter's own schema, not required.

FastAPI also lists every enum class it finds in an annotation as a component, even where the field's
schema is inline (app/kit/code_fields.py): components that nothing refers to are left out.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api import contract_headers, examples, ladder_schemas
from app.signals.schemas import BatchItemIn

NULL = {"type": "null"}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    branches = schema.get("anyOf")
    if not isinstance(branches, list) or NULL not in branches:
        return schema
    rest = [b for b in branches if b != NULL]
    out = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(rest) == 1:
        return {**rest[0], **out}
    return {**out, "anyOf": rest}


def parameters_not_nullable(document: dict[str, Any]) -> dict[str, Any]:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if isinstance(parameter.get("schema"), dict):
                    parameter["schema"] = _without_null(parameter["schema"])
    return document


def without_unreferenced_schemas(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.get("components", {}).get("schemas", {})
    while True:
        text = json.dumps(document)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return document
        for name in unused:
            del schemas[name]


# Relative: the document describes whichever deployment serves it (the paths carry the /v1 major).
SERVERS = [{"url": "/", "description": "The deployment serving this document"}]
# Who answers for the API (Logius ADR /core/doc-openapi-contact): the maintainers of Casusregie. A deployment's
# own contact point (its functioneel beheer) is in its processing register (GET /v1/processing-register).
CONTACT = {"name": "Casusregie maintainers", "url": "https://r-seed-3b4cbefb.example/casusregie",
           "email": "maintainers@users.noreply.r-seed-3b4cbefb.example"}
LICENSE = {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}


def operation_id(route: APIRoute) -> str:
    first, *rest = route.name.split("_")
    return first + "".join(word.title() for word in rest)


PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problems_only(document: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx and 5xx is an RFC 9457 Problem (app/api/errors.py), and only that:
    - FastAPI adds a 422 with its own `HTTPValidationError` body where a route declares none;
    - a declared problem model also gets FastAPI's `application/json` beside `application/problem+json`;
    - an operation that reads a body answers an unreadable one (not JSON) with 400;
    - every /v1 operation answers a query parameter it does not declare with 422 (app/api/query.py)."""
    for path, path_item in document.get("paths", {}).items():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation and "400" not in responses:
                responses["400"] = {"description": "The body cannot be read (not JSON)", "content": PROBLEM_CONTENT}
            if path.startswith("/v1/") and "422" not in responses:
                responses["422"] = {"description": "A query parameter this operation does not take; `errors` names "
                                                   "it", "content": PROBLEM_CONTENT}
            for status, response in responses.items():
                if not status.startswith(("4", "5")):
                    continue
                if "HTTPValidationError" in json.dumps(response):
                    response.update(description="Invalid input; `errors` lists the fields", content=PROBLEM_CONTENT)
                if not response.get("content"):
                    response["content"] = PROBLEM_CONTENT
                response["content"] = {k: v for k, v in response["content"].items() if k != "application/json"}
                if not response["content"]:
                    response["content"] = PROBLEM_CONTENT
            operation["responses"] = dict(sorted(responses.items()))
    return document


JSON_VALUE = "JsonValue"
JSON_ITEM = "JsonItem"
_JSON_VALUE_REF = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
_JSON_ITEM_REF = {"$ref": f"#/components/schemas/{JSON_ITEM}"}
_SCALARS = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]


def json_values(document: dict[str, Any]) -> dict[str, Any]:
    """A free JSON member (`dict[str, Any]`: an audit entry's detail, a JSON Schema published by a ladder, a
    problem's extension members) is any JSON value, recursively, not `unknown` in a generated client. An array's
    items are scalars or objects (`JsonItem`): an array directly inside an array is the one shape left out, as
    TypeScript cannot name that recursion through a generated client's indexed types (and nothing sends it)."""
    schemas = document["components"]["schemas"]
    as_object = {"type": "object", "additionalProperties": _JSON_VALUE_REF}
    schemas[JSON_ITEM] = {"title": JSON_ITEM, "description": "A JSON array's item: a scalar or an object",
                          "anyOf": [*_SCALARS, as_object]}
    schemas[JSON_VALUE] = {"title": JSON_VALUE, "description": "Any JSON value (arrays hold scalars or objects)",
                           "anyOf": [*_SCALARS, {"type": "array", "items": _JSON_ITEM_REF}, as_object]}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("additionalProperties") is True:
                node["additionalProperties"] = _JSON_VALUE_REF
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document["paths"])
    walk({k: v for k, v in schemas.items() if k not in (JSON_VALUE, JSON_ITEM)})
    return document


def typed_batch_items(document: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/signals:batch` validates each item on its own (one bad item fails only itself), so the body's
    model takes the items as plain objects; the document states what each item is."""
    schemas = document["components"]["schemas"]
    item = BatchItemIn.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in item.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    schemas["SignalBatchItem"] = {**item, "title": "SignalBatchItem"}
    schemas["SignalBatch"]["properties"]["items"]["items"] = {"$ref": "#/components/schemas/SignalBatchItem"}
    return document


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = problems_only(parameters_not_nullable(generate()))
            document = ladder_schemas.declare(contract_headers.declare(typed_batch_items(document)))
            document = examples.declare(json_values(document))
            app.openapi_schema = without_unreferenced_schemas(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema
