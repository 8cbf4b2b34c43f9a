"""Plain Python values <-> DynamoDB attribute values (the low-level client's wire shape).

Going in: str, int, bool, None, bytes, list/tuple, dict, set; ``Decimal`` and ``float``
(floats become exact decimal strings; never use them for money). Coming out: numbers are
``int`` when integral and ``Decimal`` otherwise, binary is ``bytes``, sets stay sets.
Binary reads the same whether boto3 parsed it (``bytes``) or it comes in a stream record as
Lambda delivers it (JSON, so ``{"B": "<base64>"}``).
boto3's ``TypeSerializer``/``TypeDeserializer`` do the wire work; they are imported on
first use so that importing ``khaya.db`` costs nothing on a cold start.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_ser: Any = None
_deser: Any = None


def _codecs() -> tuple[Any, Any]:
    global _ser, _deser
    if _ser is None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        _ser, _deser = TypeSerializer(), TypeDeserializer()
    return _ser, _deser


def normalise(value: Any) -> Any:
    """Integral ``Decimal`` → ``int`` (recursively); ``bytes``-like ``Binary`` → ``bytes``."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, set | frozenset):
        return {normalise(v) for v in value}
    if type(value).__name__ == "Binary" and hasattr(value, "value"):
        return bytes(value.value)
    return value


def _prepare(value: Any) -> Any:
    """What TypeSerializer accepts: floats as Decimal, tuples as lists, nested."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int | Decimal | bytes):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinity cannot be stored")
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(k): _prepare(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepare(v) for v in value]
    if isinstance(value, set | frozenset):
        return {_prepare(v) for v in value}
    return value


def to_attr(value: Any) -> dict[str, Any]:
    ser, _ = _codecs()
    return dict(ser.serialize(_prepare(value)))


def _binary_as_bytes(attr: Mapping[str, Any]) -> Mapping[str, Any]:
    """Lambda's JSON stream records carry binary as base64 text; boto3 hands out bytes."""
    if "B" in attr and isinstance(attr["B"], str):
        return {"B": base64.b64decode(attr["B"])}
    if "BS" in attr:
        return {"BS": [base64.b64decode(v) if isinstance(v, str) else v for v in attr["BS"]]}
    if "M" in attr:
        return {"M": {k: _binary_as_bytes(v) for k, v in attr["M"].items()}}
    if "L" in attr:
        return {"L": [_binary_as_bytes(v) for v in attr["L"]]}
    return attr


def from_attr(attr: Mapping[str, Any]) -> Any:
    _, deser = _codecs()
    return normalise(deser.deserialize(_binary_as_bytes(attr)))


def to_item(item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A plain dict → a DynamoDB item. Top-level ``None`` values are left out (an absent
    attribute, not NULL), so a ``gsi2pk=None`` keeps the item out of a sparse index."""
    return {k: to_attr(v) for k, v in item.items() if v is not None}


def from_item(item: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: from_attr(v) for k, v in item.items()}


def to_values(values: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Expression attribute values (``{":open": "OPEN"}``) → wire shape (None stays NULL)."""
    return {k: to_attr(v) for k, v in (values or {}).items()}
