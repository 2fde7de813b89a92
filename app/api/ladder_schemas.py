"""The ladders' own shapes in the OpenAPI document (issue 13 item 5): what a case's `details`, a transition's
`data` and a history entry's `data` hold depends on the case type and the trigger, and the ladder definitions
(app/workflows) say it. FastAPI sees those fields as free JSON objects; here they become schemas:

- `TransitionRequest` is a union discriminated by `trigger`: each trigger's variant carries the data model(s)
  its transitions validate against (`NoData` where a transition takes none);
- `CaseOut` and `CaseCreate` are unions discriminated by `case_type`, each with its ladder's details model;
  `CasePatch.details` and `HistoryEntry.data` are any of the ladders' models.

The runtime validation stays the ladder engine's (app/workflows/engine.py): the document states what it
accepts. In a response a details field may be left out (withheld: its category is not covered for the reader),
so no details field is required there, as in the ladders' models.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from app.workflows.engine import LADDERS

REF = "#/components/schemas/{model}"
NO_DATA = "NoData"


def _pascal(code: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in code.split("_"))


class _Registry:
    """Adds models to components/schemas under their class name, or prefixed where two differ by that name."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def _put(self, name: str, schema: dict[str, Any]) -> None:
        if name in self.schemas and self.schemas[name] != schema:
            raise ValueError(f"two different schemas named {name}")
        self.schemas[name] = schema

    def add(self, model: type[BaseModel], prefix: str, *, prefixed: bool = False) -> dict[str, str]:
        schema = model.model_json_schema(ref_template=REF)
        for name, sub in schema.pop("$defs", {}).items():
            self._put(name, sub)
        name = prefix + model.__name__ if prefixed else model.__name__
        if name in self.schemas and self.schemas[name] != schema:
            name = prefix + name
        self._put(name, schema)
        return {"$ref": REF.format(model=name)}


def _distinct(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for i, r in enumerate(refs) if r not in refs[:i]]


def _union(refs: list[dict[str, Any]]) -> dict[str, Any]:
    unique = _distinct(refs)
    return unique[0] if len(unique) == 1 else {"anyOf": unique}


def _by(schemas: dict[str, Any], name: str, field: str, variants: dict[str, dict[str, Any]]) -> None:
    """Replace schema `name` by a union of its copies, discriminated by `field` (one copy per value)."""
    base = schemas[name]
    mapping = {}
    for value, overrides in variants.items():
        variant = copy.deepcopy(base)
        variant["title"] = f"{name}{_pascal(value)}"
        variant["properties"][field] = {"type": "string", "const": value}
        variant["properties"].update(overrides)
        schemas[variant["title"]] = variant
        mapping[value] = REF.format(model=variant["title"])
    schemas[name] = {"title": name, **({"description": base["description"]} if "description" in base else {}),
                     "oneOf": [{"$ref": ref} for ref in mapping.values()],
                     "discriminator": {"propertyName": field, "mapping": mapping}}


def declare(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    registry = _Registry(schemas)
    schemas[NO_DATA] = {"title": NO_DATA, "type": "object", "maxProperties": 0,
                        "description": "The trigger takes no data here: `{}` (or leave `data` out)"}
    no_data = {"$ref": REF.format(model=NO_DATA)}

    details: dict[str, dict[str, str]] = {}
    states = {lad.case_type: {"type": "string", "enum": [s.code for s in lad.states]} for lad in LADDERS}
    steps = {lad.case_type: [s.step for s in lad.states if s.step is not None] for lad in LADDERS}
    data_by_trigger: dict[str, list[dict[str, Any]]] = {}
    for ladder in LADDERS:
        prefix = _pascal(ladder.case_type)
        details[ladder.case_type] = registry.add(ladder.details_model, prefix, prefixed=True)
        for t in ladder.transitions:
            ref = registry.add(t.data_model, prefix) if t.data_model is not None else no_data
            data_by_trigger.setdefault(t.trigger, []).append(ref)

    _by(schemas, "TransitionRequest", "trigger",
        {trigger: {"data": _union(refs)} for trigger, refs in sorted(data_by_trigger.items())})
    # Per case type, its own ladder's states (and steps, where the ladder has them) instead of every ladder's.
    _by(schemas, "CaseOut", "case_type", {t: {"details": ref, "state": states[t], "step": (
        {"anyOf": [{"type": "string", "enum": steps[t]}, {"type": "null"}]} if steps[t] else {"type": "null"})}
        for t, ref in details.items()})
    _by(schemas, "CaseCreate", "case_type",
        {t: {"details": {"anyOf": [ref, {"type": "null"}]}, "initial_state": {"anyOf": [states[t], {"type": "null"}]}}
         for t, ref in details.items()})
    every_details = list(details.values())
    schemas["CasePatch"]["properties"]["details"] = {
        "anyOf": [*every_details, {"type": "null"}],
        "description": schemas["CasePatch"]["properties"]["details"].get("description", "")}
    every_data = _distinct([r for refs in data_by_trigger.values() for r in refs])
    schemas["HistoryEntry"]["properties"]["data"] = {
        "anyOf": [*every_data, {"type": "null"}],
        "description": schemas["HistoryEntry"]["properties"]["data"].get("description", "")}
    return document
