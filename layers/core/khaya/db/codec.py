"""Plain Python values <-> DynamoDB attribute values (the low-level client's wire shape).

Going in: str, int, bool, None, bytes, list/tuple, dict, set; ``Decimal`` and ``float``
(floats become exact decimal strings; never use them for money). Coming out: numbers are
``int`` when integral and ``Decimal`` otherwise, binary is ``bytes``, sets stay sets.
Binary reads the same whether botocore parsed it (``bytes``) or it comes in a stream record as
Lambda delivers it (JSON, so ``{"B": "<base64>"}``).
The wire work follows boto3's ``TypeSerializer``/``TypeDeserializer`` rule for rule (the same
type order, the same decimal context, the same errors for what DynamoDB can hold, and no
infinity or NaN of either sign; ``tests/unit/db/test_codec_and_entity.py`` holds the two side
by side), without importing boto3: its package imports s3transfer and its
resource model, about 30 ms of CPU on the cold start of every function, for two small classes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# DynamoDB's numbers: 38 digits, exponents -128 to 126, and nothing rounded silently (boto3's own).
DYNAMODB_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def _is_binary(value: Any) -> bool:
    return isinstance(value, bytes | bytearray) or (
        type(value).__name__ == "Binary" and isinstance(getattr(value, "value", None), bytes | bytearray)
    )


def _is_number(value: Any) -> bool:
    if isinstance(value, int | Decimal):
        return True
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return False


def _number(value: Any) -> str:
    number = DYNAMODB_CONTEXT.create_decimal(value)
    if not number.is_finite():  # boto3 lets -Infinity and -NaN through, for DynamoDB to refuse
        raise TypeError("Infinity and NaN not supported")
    return str(number)


def _binary(value: Any) -> Any:
    return value.value if type(value).__name__ == "Binary" else value


def _serialize(value: Any) -> dict[str, Any]:
    """boto3's ``TypeSerializer.serialize``: the first type that fits, in its order."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if _is_binary(value):
        return {"B": _binary(value)}
    if isinstance(value, AbstractSet):
        if False not in map(_is_number, value):
            return {"NS": [_number(v) for v in value]}
        if False not in (isinstance(v, str) for v in value):
            return {"SS": list(value)}
        if False not in map(_is_binary, value):
            return {"BS": [_binary(v) for v in value]}
    if isinstance(value, Mapping):
        return {"M": {k: _serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_serialize(v) for v in value]}
    raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


def _bytes(value: Any) -> bytes:
    if not isinstance(value, bytes | bytearray):
        raise TypeError("Value must be of the following types: <class 'bytearray'>, <class 'bytes'>")
    return bytes(value)


_DESERIALIZERS: dict[str, Callable[[Any], Any]] = {
    "null": lambda v: None,
    "bool": lambda v: v,
    "n": DYNAMODB_CONTEXT.create_decimal,
    "s": lambda v: v,
    "b": _bytes,
    "ns": lambda v: set(map(DYNAMODB_CONTEXT.create_decimal, v)),
    "ss": set,
    "bs": lambda v: set(map(_bytes, v)),
    "l": lambda v: [_deserialize(x) for x in v],
    "m": lambda v: {k: _deserialize(x) for k, x in v.items()},
}


def _deserialize(value: Mapping[str, Any]) -> Any:
    """boto3's ``TypeDeserializer.deserialize`` (binary as ``bytes`` rather than its ``Binary``)."""
    if not value:
        raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
    dynamodb_type = next(iter(value))
    found = _DESERIALIZERS.get(str(dynamodb_type).lower())
    if found is None:
        raise TypeError(f"Dynamodb type {dynamodb_type} is not supported")
    return found(value[dynamodb_type])


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
    return _serialize(_prepare(value))


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
    return normalise(_deserialize(_binary_as_bytes(attr)))


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
