"""Bounded JSON schemas for structured output.

Small models under a grammar happily emit a string or a list that never ends (until max_tokens cuts
the JSON in half), so every string needs `maxLength` (or a fixed `enum`/`const`) and every array
`maxItems`. `bounded_schema` derives the schema from a pydantic model and refuses one that is not
bounded: the mistake shows up when the code is written, not as a flaky reply later.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from pydantic import BaseModel


class UnboundedSchemaError(ValueError):
    """A schema has a string or list without an upper bound (a programming error, not a user one)."""


def bounded_schema(schema: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of `schema` (a pydantic model or a JSON schema dict), checked to be bounded.

    Objects that list their properties get `additionalProperties: false`, so the grammar cannot
    add keys the model never asked for. Raises `UnboundedSchemaError` naming every offending field.
    """
    if isinstance(schema, dict):
        return _check(copy.deepcopy(schema), "schema")
    return copy.deepcopy(_model_schema(schema))


@lru_cache(maxsize=256)
def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return _check(model.model_json_schema(), model.__name__)


def _check(schema: dict[str, Any], name: str) -> dict[str, Any]:
    problems: list[str] = []
    _walk(schema, name, problems)
    for def_name, sub in schema.get("$defs", {}).items():
        _walk(sub, def_name, problems)
    if problems:
        raise UnboundedSchemaError("unbounded structured-output schema: " + "; ".join(problems))
    return schema


def _walk(node: Any, path: str, problems: list[str]) -> None:
    if not isinstance(node, dict):
        return
    if "enum" in node or "const" in node or "$ref" in node:
        return  # a fixed set of values, or checked where the definition lives
    combined = [key for key in ("anyOf", "oneOf", "allOf") if key in node]
    for key in combined:
        for i, sub in enumerate(node[key]):
            _walk(sub, path if len(node[key]) == 1 else f"{path}<{i}>", problems)
    if "type" not in node and not combined:
        problems.append(f"{path}: value of any type (give it a bounded type)")
        return

    types = node.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if "string" in types and "maxLength" not in node:
        problems.append(f"{path}: string without max_length")
    if "array" in types:
        if "maxItems" not in node and "prefixItems" not in node:
            problems.append(f"{path}: list without max_length")
        if "items" in node:
            _walk(node["items"], f"{path}[]", problems)
        for i, sub in enumerate(node.get("prefixItems", [])):
            _walk(sub, f"{path}[{i}]", problems)
    if "object" in types or "properties" in node:
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) or extra is True or ("properties" not in node and extra is not False):
            problems.append(f"{path}: mapping with free keys (use a model with named fields)")
        else:
            node["additionalProperties"] = False
        for prop, sub in node.get("properties", {}).items():
            _walk(sub, f"{path}.{prop}", problems)
