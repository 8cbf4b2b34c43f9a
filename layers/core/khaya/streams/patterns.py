"""Lambda event filter patterns (the ``FilterCriteria`` syntax), matched in code.

A pattern is a dict whose keys name fields of the record; a nested dict descends, a list
holds the rules of which any one must match the field's value. Rules: a literal (string,
number, boolean, ``null``), ``{"prefix": s}``, ``{"suffix": s}``, ``{"anything-but": value
or [values]}`` and ``{"exists": bool}``. Every key of a pattern must match (AND); a field the
record lacks matches only ``{"exists": false}``. Anything else is refused when the pattern
is checked (``validate``), so a typo cannot make a consumer silently receive nothing.
"""

from __future__ import annotations

from typing import Any

_RULES = frozenset({"prefix", "suffix", "anything-but", "exists"})
_MISSING = object()


def validate(pattern: dict[str, Any]) -> None:
    """Raise ``ValueError`` on a pattern using anything outside the supported syntax."""
    if not isinstance(pattern, dict) or not pattern:
        raise ValueError("a pattern is a non-empty object")
    for key, value in pattern.items():
        if isinstance(value, dict):
            validate(value)
        elif isinstance(value, list) and value:
            for rule in value:
                if isinstance(rule, dict) and (len(rule) != 1 or next(iter(rule)) not in _RULES):
                    raise ValueError(f"{key}: unsupported rule {rule!r}")
                if isinstance(rule, list):
                    raise ValueError(f"{key}: a rule cannot be a list")
        else:
            raise ValueError(f"{key}: expected an object or a non-empty list of rules")


def _rule(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return value is not _MISSING and value == rule and type(value) is type(rule)
    ((kind, arg),) = rule.items()
    if kind == "exists":
        return (value is not _MISSING) is bool(arg)
    if value is _MISSING:
        return False
    if kind == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if kind == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    banned = arg if isinstance(arg, list) else [arg]
    return value not in banned


def _field(rules: list[Any], value: Any) -> bool:
    if isinstance(value, list):  # an array field matches when any element does
        return any(_rule(rule, v) for rule in rules for v in value)
    return any(_rule(rule, value) for rule in rules)


def matches(pattern: dict[str, Any], record: Any) -> bool:
    """Whether ``record`` matches ``pattern`` (see the module docstring)."""
    for key, expected in pattern.items():
        value = record.get(key, _MISSING) if isinstance(record, dict) else _MISSING
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not matches(expected, value):
                return False
        elif not _field(expected, value):
            return False
    return True
