"""JSON Schemas shipped as package data, and a validator that reports the failing path.

Example:
    >>> validate_document({"format": "mapkit.city/1"}, "city", source="x.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapkit.errors.SchemaViolationError: x.json ($): 'city' is a required property. See schemas/city.schema.json ...
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema

from mapkit.errors import SchemaViolationError


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``<name>.schema.json`` shipped with mapkit."""
    text = resources.files("mapkit.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _json_path(error: jsonschema.ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate_document(doc: Any, schema: str, *, source: object = "<document>") -> None:
    """Raise :class:`SchemaViolationError` naming the JSON path of the first (deepest) problem."""
    errors = sorted(_validator(schema).iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise SchemaViolationError(
            f"{err.message}.",
            path=source,
            location=_json_path(err),
            hint=f"See schemas/{schema}.schema.json for the format.",
        )


def schema_errors(doc: Any, schema: str) -> list[str]:
    """Every schema problem as ``'<json path>: <message>'`` (empty when valid)."""
    return [f"{_json_path(e)}: {e.message}" for e in _validator(schema).iter_errors(doc)]


Checker = Callable[[Any], "tuple[str, str] | None"]
"""``check(doc) -> (json path, problem) | None``: the first problem of a document, or ``None``."""


def compile_checker(schema: Mapping[str, Any]) -> Checker:
    """A fast checker for ``schema``, compiled to Python by ``fastjsonschema`` (the per-row check of
    ``mapkit validate`` and of every export; :func:`schema_errors` gives ``jsonschema``'s full messages).

    The keywords mapkit's schemas use mean the same in draft 7, the newest draft ``fastjsonschema``
    compiles, so the schema is compiled as draft 7 (tests/questions/test_validate.py checks that the
    verdicts equal ``jsonschema``'s on mutated rows).

    >>> check = compile_checker({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}})
    >>> check({"a": 1}), check({"a": "x"}), check({})
    (None, ('$.a', 'must be integer'), ('$', "must contain ['a'] properties"))
    """
    # use_default=False: a check never writes into the document it checks
    validate = fastjsonschema.compile(
        {**schema, "$schema": "http://json-schema.org/draft-07/schema#"}, use_default=False
    )
    error = fastjsonschema.JsonSchemaValueException

    def check(doc: Any) -> tuple[str, str] | None:
        try:
            validate(doc)
        except error as e:
            path = "$" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in e.path[1:])
            return path, e.message.removeprefix(f"{e.name} ")
        return None

    return check


@cache
def checker(name: str) -> Checker:
    """The compiled checker of the shipped schema ``name`` (compiled once per process).

    >>> checker("item")({"id": "x"})[0]
    '$'
    """
    return compile_checker(load_schema(name))
