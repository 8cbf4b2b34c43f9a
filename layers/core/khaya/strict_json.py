"""Strict JSON for request bodies: what Python's parser would crash on or let through is refused.

``json.loads`` raises ``RecursionError`` on deep nesting and ``ValueError`` on an integer of
thousands of digits, and it accepts ``NaN``, ``Infinity``, numbers that overflow to infinity
and lone surrogate escapes, none of which a client can mean (RFC 8259 / I-JSON, RFC 7493).
``parse_json`` refuses all of them with a 400 ``malformed_json`` that says why:

* nesting deeper than ``MAX_JSON_DEPTH`` (DynamoDB's own limit; our deepest body has 3);
* integers beyond ±``MAX_JSON_INT`` (2^53 - 1, what every client represents exactly);
* ``NaN``, ``Infinity``, ``-Infinity``, and floats beyond the double range (``1e400``);
* a string (value or key) with an unpaired surrogate escape (``"\\ud800"``).

Duplicate keys keep the last value, as in every mainstream parser. A number with no fractional
part is an integer however it is written (``90000.0``, ``9e4``), as JSON Schema, and so the
OpenAPI document, reads it. Ordinary bodies pay one ``json.loads`` and two ``str.count``.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from khaya import errors

__all__ = ["MAX_JSON_DEPTH", "MAX_JSON_INT", "parse_json"]

MAX_JSON_DEPTH = 32  # DynamoDB's own nesting limit; our deepest body is 3 levels
MAX_JSON_INT = 2**53 - 1  # I-JSON (RFC 7493): what every client can represent exactly
_INT_CHARS = len(str(MAX_JSON_INT)) + 1
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class _NotJson(ValueError):
    pass


def _parse_int(text: str) -> int:
    # The length test comes first: int() of thousands of digits is slow (and refused past 4300).
    value = int(text) if len(text) <= _INT_CHARS else MAX_JSON_INT + 1
    if abs(value) > MAX_JSON_INT:
        raise _NotJson(f"Integers must lie within ±{MAX_JSON_INT}.")
    return value


def _parse_float(text: str) -> float | int:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson("A number is too large.")
    if value.is_integer() and abs(value) <= MAX_JSON_INT:
        # JSON has one number type: 150000.0 is the integer 150000, as JSON Schema (and so the
        # OpenAPI document) reads it; an integer field must not refuse it for its spelling.
        return int(value)
    return value


def _parse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON.")


def _nesting(raw: str) -> int:
    """The deepest nesting of valid JSON text, measured on the text (no recursion, C-speed)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", raw))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def parse_json(raw: str) -> Any:
    """Strict JSON (RFC 8259 / I-JSON): the value, or a 400 ``malformed_json`` that says why."""
    try:
        value = json.loads(raw, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except _NotJson as exc:
        raise errors.BadRequest(str(exc), code="malformed_json") from None
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise errors.BadRequest("The body is not valid JSON.", code="malformed_json") from None
    # Ordinary bodies skip both checks: nesting cannot exceed the bracket count, and a lone
    # surrogate needs a \uD800-\uDFFF escape.
    if raw.count("[") + raw.count("{") > MAX_JSON_DEPTH and _nesting(raw) > MAX_JSON_DEPTH:
        raise errors.BadRequest(f"The body is nested deeper than {MAX_JSON_DEPTH} levels.", code="malformed_json")
    if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(value):
        raise errors.BadRequest("The body holds an unpaired surrogate escape.", code="malformed_json")
    return value
