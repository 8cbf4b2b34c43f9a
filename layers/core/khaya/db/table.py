"""The single-table toolkit: conditional writes, versioned updates, signed-cursor queries,
batch reads, transactions and atomic counters on the one Khaya table.

Values in and out are plain Python (see ``khaya.db.codec``). Condition strings use
placeholders the caller passes in ``names``/``values``; ``set``/``add``/``remove`` take
attribute names and get generated placeholders (``#u0``, ``:u1``…, ``#q0``, ``#c0``…;
a caller placeholder that collides with one is refused with ``ValueError``).
Errors are domain errors, never ``ClientError``:

* a failed condition → the ``on_fail`` error given (default ``Conflict`` 409);
* a cancelled transaction → the ``on_fail`` of the first action whose condition failed;
  a transaction conflict → ``Conflict``;
* throttling, capacity or connection trouble → ``ServiceUnavailable`` (503).

There is deliberately no scan: every read is a key lookup or a key/GSI query.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from khaya.db.codec import from_item, to_item, to_values
from khaya.db.cursor import decode_cursor, encode_cursor
from khaya.errors import AppError, Conflict, InvalidCursor, ServiceUnavailable, ValidationFailed

MAX_PAGE = 100
MAX_TX_ACTIONS = 100
BATCH_GET_CHUNK = 100
INDEXES: dict[str | None, tuple[str, str]] = {
    None: ("pk", "sk"),
    "gsi1": ("gsi1pk", "gsi1sk"),
    "gsi2": ("gsi2pk", "gsi2sk"),
}
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ProvisionedThroughputExceeded",
        "ThrottlingException",
        "Throttling",
        "ThrottlingError",
        "RequestLimitExceeded",
        "LimitExceededException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
_FILTER_ROUNDS = 10


# ---------------------------------------------------------------- plumbing


def _client() -> Any:
    from khaya.aws import client

    return client("dynamodb")


def _table() -> str:
    from khaya.config import settings

    return settings().table_name


def _key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _fresh(error: AppError) -> AppError:
    """A copy of a (possibly module-level) error instance, so raising it never grows a shared
    traceback across warm invocations. Copies state without calling ``__init__``."""
    clone = BaseException.__new__(type(error))
    clone.__dict__.update(error.__dict__)
    clone.args = error.args
    return clone


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _call(operation: str, on_fail: AppError | None = None, **params: Any) -> Any:
    """One DynamoDB call with errors mapped to the domain."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    try:
        return getattr(_client(), operation)(**params)
    except ClientError as exc:
        mapped = _map_client_error(exc, on_fail)
        if mapped is exc:
            raise  # not the caller's fault nor transient: a bug to see whole in the logs
        raise mapped from exc
    except (HTTPClientError, BotoConnectionError) as exc:  # refused/closed/timed out, not bad params
        raise ServiceUnavailable("The database is unreachable.", code="dependency_unavailable") from exc


CONCURRENT_CHANGE = "concurrent_change"


class Retry(Conflict):
    """A condition on data read a moment ago failed: ``transact_retrying`` reads again and retries.
    Raised to a client only when every attempt lost (409 ``concurrent_change``)."""

    code = CONCURRENT_CHANGE
    default_message = "Another change to the same data is in progress; try again."


def _concurrent_change() -> Conflict:
    return Retry()


def _map_client_error(exc: Exception, on_fail: AppError | None) -> Exception:
    code = _error_code(exc)
    if code == "ConditionalCheckFailedException":
        return _fresh(on_fail) if on_fail is not None else Conflict()
    if code in THROTTLING_CODES:
        return ServiceUnavailable()
    if code in ("TransactionConflictException", "TransactionInProgressException"):
        return _concurrent_change()
    if code == "IdempotentParameterMismatchException":
        return Conflict("This idempotency token was already used for a different change.", code="idempotency_mismatch")
    return exc


class _Names:
    """Generated placeholders for attribute names/values, merged with the caller's."""

    def __init__(self, names: Mapping[str, str] | None, values: Mapping[str, Any] | None, prefix: str) -> None:
        self.names: dict[str, str] = dict(names or {})
        self.values: dict[str, Any] = dict(values or {})
        self._prefix = prefix
        self._n = 0

    def name(self, attr: str) -> str:
        placeholder = f"#{self._prefix}{self._n}"
        self._n += 1
        if placeholder in self.names:
            raise ValueError(f"placeholder {placeholder} is reserved for generated names")
        self.names[placeholder] = attr
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":{self._prefix}{self._n}"
        self._n += 1
        if placeholder in self.values:
            raise ValueError(f"placeholder {placeholder} is reserved for generated values")
        self.values[placeholder] = value
        return placeholder

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.names:
            out["ExpressionAttributeNames"] = self.names
        if self.values:
            out["ExpressionAttributeValues"] = to_values(self.values)
        return out


def _condition_params(
    condition: str | None, names: Mapping[str, str] | None, values: Mapping[str, Any] | None
) -> dict[str, Any]:
    if not condition:
        return {}
    return {"ConditionExpression": condition, **_Names(names, values, "c").params()}


def _update_expression(
    set: Mapping[str, Any] | None,
    add: Mapping[str, Any] | None,
    remove: Iterable[str] | None,
    condition: str | None,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """UpdateExpression + placeholders. A ``set`` value of ``None`` removes the attribute
    (so clearing ``gsi2pk`` takes an item out of the sparse index)."""
    ph = _Names(names, values, "u")
    sets: list[str] = []
    removes: list[str] = []
    for attr, value in (set or {}).items():
        if value is None:
            removes.append(ph.name(attr))
        else:
            sets.append(f"{ph.name(attr)} = {ph.value(value)}")
    adds = [f"{ph.name(attr)} {ph.value(value)}" for attr, value in (add or {}).items()]
    removes.extend(ph.name(attr) for attr in (remove or ()))
    clauses = []
    if sets:
        clauses.append("SET " + ", ".join(sets))
    if adds:
        clauses.append("ADD " + ", ".join(adds))
    if removes:
        clauses.append("REMOVE " + ", ".join(removes))
    if not clauses:
        raise ValueError("an update needs set, add or remove")
    out: dict[str, Any] = {"UpdateExpression": " ".join(clauses)}
    if condition:
        out["ConditionExpression"] = condition
    return {**out, **ph.params()}


# ---------------------------------------------------------------- single items


def get(pk: str, sk: str, *, consistent: bool = False, projection: list[str] | None = None) -> dict[str, Any] | None:
    """The item at ``pk``/``sk`` (only ``projection`` attributes when given), or ``None``."""
    params: dict[str, Any] = {"TableName": _table(), "Key": _key(pk, sk), "ConsistentRead": consistent}
    if projection:
        ph = _Names(None, None, "p")
        params["ProjectionExpression"] = ", ".join(ph.name(a) for a in projection)
        params["ExpressionAttributeNames"] = ph.names
    return from_item(_call("get_item", **params).get("Item"))


def put(
    item: Mapping[str, Any],
    *,
    condition: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    on_fail: AppError | None = None,
) -> None:
    """Write ``item`` whole (it must hold ``pk`` and ``sk``), under ``condition`` if given."""
    if "pk" not in item or "sk" not in item:
        raise ValueError("an item needs pk and sk")
    _call(
        "put_item",
        on_fail,
        TableName=_table(),
        Item=to_item(item),
        **_condition_params(condition, names, values),
    )


def put_new(item: Mapping[str, Any], *, on_exists: AppError) -> None:
    """Create ``item``; ``on_exists`` is raised (and nothing written) if its key is taken."""
    put(item, condition="attribute_not_exists(pk)", on_fail=on_exists)


def update(
    pk: str,
    sk: str,
    *,
    set: Mapping[str, Any] | None = None,
    add: Mapping[str, Any] | None = None,
    remove: list[str] | None = None,
    condition: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    on_fail: AppError | None = None,
) -> dict[str, Any]:
    """Change some attributes; returns the whole item after the change (``ALL_NEW``).

    Like DynamoDB, an update of a missing key creates it: pass
    ``condition="attribute_exists(pk)"`` when the item must already exist.
    """
    resp = _call(
        "update_item",
        on_fail,
        TableName=_table(),
        Key=_key(pk, sk),
        ReturnValues="ALL_NEW",
        **_update_expression(set, add, remove, condition, names, values),
    )
    return from_item(resp.get("Attributes")) or {}


def _versioned_condition(expected_version: int, condition: str | None, values: Mapping[str, Any] | None) -> str:
    if values and ":expectedVersion" in values:
        raise ValueError(":expectedVersion is reserved")
    base = "#version = :expectedVersion"
    return f"{base} AND ({condition})" if condition else base


def _versioned(
    set: Mapping[str, Any],
    expected_version: int,
    condition: str | None,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The set/condition/names/values of an optimistic-locking update (version = expected + 1)."""
    if "version" in set:
        raise ValueError("update_versioned manages version itself")
    return {
        "set": {**set, "version": expected_version + 1},
        "condition": _versioned_condition(expected_version, condition, values),
        "names": {**(names or {}), "#version": "version"},
        "values": {**(values or {}), ":expectedVersion": expected_version},
    }


def update_versioned(
    pk: str,
    sk: str,
    *,
    expected_version: int,
    set: Mapping[str, Any],
    on_conflict: AppError,
    add: Mapping[str, Any] | None = None,
    remove: list[str] | None = None,
    condition: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Optimistic locking: applies only if ``version == expected_version`` (and ``condition``),
    and sets ``version = expected_version + 1``. A stale version (or a missing item) raises
    ``on_conflict`` and changes nothing. Returns the item after the change."""
    return update(
        pk,
        sk,
        add=add,
        remove=remove,
        on_fail=on_conflict,
        **_versioned(set, expected_version, condition, names, values),
    )


def delete(
    pk: str,
    sk: str,
    *,
    condition: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    on_fail: AppError | None = None,
) -> dict[str, Any] | None:
    """Delete the item; returns what it was (``ALL_OLD``) or ``None`` if there was none."""
    resp = _call(
        "delete_item",
        on_fail,
        TableName=_table(),
        Key=_key(pk, sk),
        ReturnValues="ALL_OLD",
        **_condition_params(condition, names, values),
    )
    return from_item(resp.get("Attributes"))


# ---------------------------------------------------------------- counters


def _increment_params(
    attr: str, by: int, limit: int | None, ttl: int | None
) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    if isinstance(by, bool) or not isinstance(by, int):
        raise TypeError("by must be an int")
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    condition = None
    if limit is not None:
        # attr + by <= limit, i.e. (for by=1) attr < limit; an absent counter starts at 0.
        names["#counter"] = attr
        values[":maxBefore"] = limit - by
        condition = "attribute_not_exists(#counter) OR #counter <= :maxBefore"
    set_: dict[str, Any] = {"ttl": ttl} if ttl is not None else {}
    return {"set": set_, "add": {attr: by}}, {"names": names, "values": values}, condition


def increment(
    pk: str,
    sk: str,
    attr: str,
    *,
    by: int = 1,
    limit: int | None = None,
    on_limit: AppError | None = None,
    ttl: int | None = None,
) -> int:
    """Atomically add ``by`` to ``attr`` (created at 0) and return the new value.

    With ``limit``, the add happens only if the result stays ``<= limit`` (for ``by=1``:
    the counter was below ``limit`` or absent); otherwise ``on_limit`` (default ``Conflict``)
    is raised and nothing changes. ``ttl`` (epoch seconds) is set on the item, for windows.
    """
    if limit is not None and by > limit:
        raise _fresh(on_limit) if on_limit is not None else Conflict()
    expr, placeholders, condition = _increment_params(attr, by, limit, ttl)
    item = update(pk, sk, condition=condition, on_fail=on_limit, **expr, **placeholders)
    return int(item[attr])


# ---------------------------------------------------------------- queries


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None = None


def _item_key(item: Mapping[str, Any], index: str | None) -> dict[str, str]:
    attrs = {"pk", "sk", *INDEXES[index]}
    return {a: str(item[a]) for a in sorted(attrs)}


def _key_condition(ph: _Names, index: str | None, pk_value: str, sk_prefix: str | None) -> str:
    pk_attr, sk_attr = INDEXES[index]
    key_cond = f"{ph.name(pk_attr)} = {ph.value(pk_value)}"
    if sk_prefix is not None:
        key_cond += f" AND begins_with({ph.name(sk_attr)}, {ph.value(sk_prefix)})"
    return key_cond


def query(
    pk_value: str,
    *,
    index: str | None = None,
    sk_prefix: str | None = None,
    sk_between: tuple[str, str] | None = None,
    forward: bool = False,
    limit: int = 20,
    cursor: str | None = None,
    scope: str,
    filter: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    consistent: bool = False,
) -> Page:
    """One page of the partition ``pk_value`` (of the table or of GSI ``index``), newest
    first unless ``forward``. ``next_cursor`` is set only when more items exist; it is
    signed and bound to ``scope`` and only valid for this same list."""
    if index not in INDEXES:
        raise ValueError(f"unknown index {index!r}")
    if not scope:
        raise ValueError("a query needs the scope its cursors are bound to")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_PAGE}.", details=[{"field": "limit", "issue": "out_of_range"}]
        )
    if sk_prefix is not None and sk_between is not None:
        raise ValueError("use sk_prefix or sk_between, not both")
    if index and consistent:
        raise ValueError("a GSI cannot be read consistently")
    pk_attr, sk_attr = INDEXES[index]
    ph = _Names(names, values, "q")
    key_cond = _key_condition(ph, index, pk_value, sk_prefix)
    if sk_between is not None:
        sk_name = ph.name(sk_attr)
        key_cond += f" AND {sk_name} BETWEEN {ph.value(sk_between[0])} AND {ph.value(sk_between[1])}"
    params: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": key_cond,
        "ScanIndexForward": forward,
        **ph.params(),
    }
    if index:
        params["IndexName"] = index
    if consistent:
        params["ConsistentRead"] = True
    if filter:
        params["FilterExpression"] = filter

    start: dict[str, str] | None = None
    if cursor is not None:
        start = decode_cursor(cursor, scope)
        expected = {"pk", "sk", pk_attr, sk_attr}
        if set(start) != expected or start.get(pk_attr) != pk_value:
            raise InvalidCursor()

    # Ask for one more than the page so that a cursor is only given when more exists.
    items: list[dict[str, Any]] = []
    last: dict[str, Any] | None = None
    for _ in range(_FILTER_ROUNDS):
        wanted = limit + 1 - len(items)
        page_params = {**params, "Limit": max(wanted, 2 * (limit + 1)) if filter else wanted}
        if start:
            page_params["ExclusiveStartKey"] = {k: {"S": v} for k, v in start.items()}
        resp = _call("query", **page_params)
        items.extend(from_item(raw) or {} for raw in resp.get("Items", []))
        last = resp.get("LastEvaluatedKey")
        if len(items) > limit or not last:
            break
        start = {k: str(v["S"]) for k, v in last.items()}
    if len(items) > limit:
        items = items[:limit]
        return Page(items, encode_cursor(_item_key(items[-1], index), scope))
    if last:  # filter rounds exhausted: more may exist
        return Page(items, encode_cursor({k: str(v["S"]) for k, v in last.items()}, scope))
    return Page(items, None)


def query_pages(
    pk_value: str,
    *,
    index: str | None = None,
    sk_prefix: str | None = None,
    forward: bool = False,
    projection: list[str] | None = None,
    max_items: int = 1000,
) -> Iterator[list[dict[str, Any]]]:
    """The items of the partition ``pk_value``, one DynamoDB page (up to 1 MB) at a time,
    newest first unless ``forward``, at most ``max_items`` in all (only ``projection``
    attributes when given). For bulk reads inside a request, such as a search's candidates:
    no cursor ever leaves the process, so none is signed."""
    if index not in INDEXES:
        raise ValueError(f"unknown index {index!r}")
    if max_items < 1:
        raise ValueError("max_items must be positive")
    ph = _Names(None, None, "q")
    key_cond = _key_condition(ph, index, pk_value, sk_prefix)
    params: dict[str, Any] = {"TableName": _table(), "KeyConditionExpression": key_cond, "ScanIndexForward": forward}
    if index:
        params["IndexName"] = index
    if projection:
        params["ProjectionExpression"] = ", ".join(ph.name(a) for a in dict.fromkeys(projection))
    params.update(ph.params())
    left = max_items
    start: dict[str, Any] | None = None
    while left > 0:
        page_params = {**params, "Limit": left}
        if start:
            page_params["ExclusiveStartKey"] = start
        resp = _call("query", **page_params)
        items = [from_item(raw) or {} for raw in resp.get("Items", [])]
        left -= len(items)
        if items:
            yield items
        start = resp.get("LastEvaluatedKey")
        if not start:
            return


# ---------------------------------------------------------------- batch reads


def batch_get(
    keys: list[tuple[str, str]], *, projection: list[str] | None = None, max_attempts: int = 8
) -> list[dict[str, Any]]:
    """The items that exist among ``keys``, in the order asked (duplicates once), fetched
    100 at a time; unprocessed keys are retried with jittered exponential backoff and a
    persistent backlog becomes ``ServiceUnavailable``."""
    unique = list(dict.fromkeys(keys))
    request_extra: dict[str, Any] = {}
    if projection:
        ph = _Names(None, None, "p")
        request_extra["ProjectionExpression"] = ", ".join(ph.name(a) for a in dict.fromkeys(["pk", "sk", *projection]))
        request_extra["ExpressionAttributeNames"] = ph.names
    table = _table()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for i in range(0, len(unique), BATCH_GET_CHUNK):
        pending: list[dict[str, Any]] = [_key(pk, sk) for pk, sk in unique[i : i + BATCH_GET_CHUNK]]
        attempt = 0
        while pending:
            resp = _call("batch_get_item", RequestItems={table: {"Keys": pending, **request_extra}})
            for raw in resp.get("Responses", {}).get(table, []):
                item = from_item(raw) or {}
                found[(str(item["pk"]), str(item["sk"]))] = item
            pending = resp.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            if pending:
                attempt += 1
                if attempt >= max_attempts:
                    raise ServiceUnavailable()
                time.sleep(random.uniform(0, min(1.0, 0.025 * 2**attempt)))
    out = []
    for k in unique:
        hit = found.get(k)
        if hit is not None:
            if projection:
                hit = {a: v for a, v in hit.items() if a in projection}
            out.append(hit)
    return out


# ---------------------------------------------------------------- transactions


@dataclass(frozen=True)
class TxAction:
    """One action of a ``transact`` call (build with the ``tx_*`` functions)."""

    kind: str  # Put | Update | Delete | ConditionCheck
    params: dict[str, Any]
    on_fail: AppError | None = field(default=None, compare=False)

    def request(self, table: str) -> dict[str, Any]:
        return {self.kind: {"TableName": table, **self.params}}


def tx_put(
    item: Mapping[str, Any],
    *,
    condition: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    on_fail: AppError | None = None,
) -> TxAction:
    if "pk" not in item or "sk" not in item:
        raise ValueError("an item needs pk and sk")
    return TxAction("Put", {"Item": to_item(item), **_condition_params(condition, names, values)}, on_fail)


def tx_update(
    pk: str,
    sk: str,
    *,
    set: Mapping[str, Any] | None = None,
    add: Mapping[str, Any] | None = None,
    remove: list[str] | None = None,
    condition: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    on_fail: AppError | None = None,
) -> TxAction:
    params = {"Key": _key(pk, sk), **_update_expression(set, add, remove, condition, names, values)}
    return TxAction("Update", params, on_fail)


def tx_update_versioned(
    pk: str,
    sk: str,
    *,
    expected_version: int,
    set: Mapping[str, Any],
    on_conflict: AppError,
    add: Mapping[str, Any] | None = None,
    remove: list[str] | None = None,
    condition: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> TxAction:
    """``update_versioned`` as a transaction action."""
    return tx_update(
        pk,
        sk,
        add=add,
        remove=remove,
        on_fail=on_conflict,
        **_versioned(set, expected_version, condition, names, values),
    )


def tx_delete(
    pk: str,
    sk: str,
    *,
    condition: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    on_fail: AppError | None = None,
) -> TxAction:
    return TxAction("Delete", {"Key": _key(pk, sk), **_condition_params(condition, names, values)}, on_fail)


def tx_check(
    pk: str,
    sk: str,
    *,
    condition: str,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    on_fail: AppError | None = None,
) -> TxAction:
    if not condition:
        raise ValueError("a condition check needs a condition")
    return TxAction("ConditionCheck", {"Key": _key(pk, sk), **_condition_params(condition, names, values)}, on_fail)


def tx_increment(
    pk: str,
    sk: str,
    attr: str,
    *,
    by: int = 1,
    limit: int | None = None,
    on_limit: AppError | None = None,
    ttl: int | None = None,
) -> TxAction:
    """``increment`` as a transaction action (the new value is not returned)."""
    if limit is not None and by > limit:
        raise _fresh(on_limit) if on_limit is not None else Conflict()
    expr, placeholders, condition = _increment_params(attr, by, limit, ttl)
    return tx_update(pk, sk, condition=condition, on_fail=on_limit, **expr, **placeholders)


def _reasons(exc: Exception) -> list[str]:
    response = getattr(exc, "response", None) or {}
    reasons = response.get("CancellationReasons")
    if reasons:
        return [str(r.get("Code") or "None") for r in reasons]
    # Older/partial responses only carry the codes in the message: "...reasons [A, None]".
    message = str(response.get("Error", {}).get("Message", ""))
    if "[" in message and message.endswith("]"):
        return [part.strip() for part in message[message.rindex("[") + 1 : -1].split(",")]
    return []


def transact(actions: list[TxAction], token: str | None = None) -> None:
    """All ``actions`` in one ``TransactWriteItems``: all happen or none does.

    A failed condition raises the ``on_fail`` of the first action whose condition failed
    (default ``Conflict``); a conflicting concurrent transaction raises ``Conflict``;
    throttling raises ``ServiceUnavailable``. ``token`` is the ``ClientRequestToken``
    (idempotent for 10 minutes).
    """
    if not actions:
        raise ValueError("a transaction needs at least one action")
    if len(actions) > MAX_TX_ACTIONS:
        raise ValueError(f"a transaction holds at most {MAX_TX_ACTIONS} actions")
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    table = _table()
    params: dict[str, Any] = {"TransactItems": [a.request(table) for a in actions]}
    if token:
        params["ClientRequestToken"] = token
    try:
        _client().transact_write_items(**params)
    except ClientError as exc:
        if _error_code(exc) != "TransactionCanceledException":
            mapped = _map_client_error(exc, None)
            if mapped is exc:
                raise
            raise mapped from exc
        reasons = _reasons(exc)
        for action, reason in zip(actions, reasons, strict=False):
            if reason == "ConditionalCheckFailed":
                raise (_fresh(action.on_fail) if action.on_fail is not None else Conflict()) from exc
        if any(r == "TransactionConflict" for r in reasons):
            raise _concurrent_change() from exc
        if any(r in THROTTLING_CODES for r in reasons):
            raise ServiceUnavailable() from exc
        raise
    except (HTTPClientError, BotoConnectionError) as exc:  # refused/closed/timed out, not bad params
        raise ServiceUnavailable("The database is unreachable.", code="dependency_unavailable") from exc


def transact_retrying(build: Callable[[], list[TxAction]], attempts: int = 4) -> None:
    """Build and run a transaction; rebuild and retry it (with jitter) when it lost a race it
    can recover from (``Retry`` from a stale read, or DynamoDB's TransactionConflict).

    Conditions that express a real state (a job no longer open, a limit reached) raise their
    own error straight away. Each attempt carries its own ``ClientRequestToken``, so when
    botocore resends an attempt whose answer was lost (a timeout), DynamoDB answers with the
    first outcome instead of applying it again or failing the winner's condition.
    """
    import uuid

    for attempt in range(attempts):
        try:
            transact(build(), token=uuid.uuid4().hex)
            return
        except Conflict as exc:
            if exc.code != CONCURRENT_CHANGE or attempt == attempts - 1:
                raise
        time.sleep(random.uniform(0.005, 0.03 * 2**attempt))


__all__ = [
    "INDEXES",
    "MAX_PAGE",
    "MAX_TX_ACTIONS",
    "Page",
    "Retry",
    "TxAction",
    "batch_get",
    "delete",
    "get",
    "increment",
    "put",
    "put_new",
    "query",
    "query_pages",
    "transact",
    "transact_retrying",
    "tx_check",
    "tx_delete",
    "tx_increment",
    "tx_put",
    "tx_update",
    "tx_update_versioned",
    "update",
    "update_versioned",
]
