"""The OpenAPI document the app serves (and `casusregie openapi` commits), with two corrections to FastAPI's.

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


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = without_unreferenced_schemas(parameters_not_nullable(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema
