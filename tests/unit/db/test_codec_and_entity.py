"""Serialization: plain Python in and out, integral numbers as int, explicit entity mapping."""

from __future__ import annotations

import datetime as dt
import enum
import subprocess
import sys
from decimal import Decimal
from typing import ClassVar

import pytest

from khaya.db import Entity
from khaya.db.codec import from_item, to_item
from tests.support import table_keys as keys


def test_numbers_come_back_as_int_when_integral_else_decimal() -> None:
    wire = to_item({"pk": "p", "sk": "s", "a": 25000, "b": Decimal("4.50"), "c": Decimal("10.0"), "d": [1, 2.5]})
    back = from_item(wire)
    assert back == {"pk": "p", "sk": "s", "a": 25000, "b": Decimal("4.5"), "c": 10, "d": [1, Decimal("2.5")]}
    assert type(back["a"]) is int and type(back["c"]) is int  # type: ignore[index]


def test_none_is_left_out_of_items_so_sparse_indexes_stay_sparse() -> None:
    assert "gsi2pk" not in to_item({"pk": "p", "sk": "s", "gsi2pk": None})


def test_sets_bytes_and_nesting_survive() -> None:
    item = {"pk": "p", "sk": "s", "tags": {"a"}, "n": {1, 2}, "blob": b"\x00\x01", "m": {"x": [True, None]}}
    assert from_item(to_item(item)) == item


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError):
        to_item({"pk": "p", "sk": "s", "x": float("nan")})


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "-NaN", "sNaN"])
def test_a_number_dynamodb_cannot_hold_is_refused_before_the_write(number: str) -> None:
    with pytest.raises(TypeError, match="Infinity and NaN not supported"):
        to_item({"pk": "p", "sk": "s", "x": Decimal(number)})


class Status(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class Job(Entity):
    entity_type: ClassVar[str] = "job"
    id: str
    category: str
    city: str
    status: Status
    created_at: dt.datetime
    budget_minor: int
    rating: Decimal | None = None
    note: str | None = None

    def keys(self) -> dict[str, str]:
        created = self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        out = keys.job(self.id).item()
        if self.status is Status.OPEN:
            out |= keys.open_job_index(self.category, self.city, created, self.id).item()
        return out


def _job(**kw: object) -> Job:
    base: dict[str, object] = {
        "id": "j1",
        "category": "plumbing",
        "city": "cpt",
        "status": Status.OPEN,
        "created_at": dt.datetime(2026, 11, 21, 0, 10, tzinfo=dt.UTC),
        "budget_minor": 25000,
    }
    return Job(**{**base, **kw})  # type: ignore[arg-type]


def test_an_entity_maps_to_an_item_with_its_keys_and_type() -> None:
    item = _job(rating=4.5).to_item()
    assert item == {
        "pk": "JOB#j1",
        "sk": "META",
        "gsi2pk": "OPEN#plumbing#cpt",
        "gsi2sk": "2026-11-21T00:10:00Z#j1",
        "type": "job",
        "id": "j1",
        "category": "plumbing",
        "city": "cpt",
        "status": "open",
        "created_at": "2026-11-21T00:10:00+00:00",
        "budget_minor": 25000,
        "rating": Decimal("4.5"),
    }


def test_a_closed_entity_leaves_the_open_index() -> None:
    assert "gsi2pk" not in _job(status=Status.DONE).to_item()


def test_an_entity_round_trips_through_the_wire_format() -> None:
    job = _job(rating=Decimal("4.5"), note="gate code 1234")
    back = Job.from_item(from_item(to_item(job.to_item())) or {})
    assert back == job
    assert Job.from_item_or_none(None) is None


def test_an_entity_field_cannot_shadow_a_key_attribute() -> None:
    class Bad(Entity):
        pk: str

        def keys(self) -> dict[str, str]:
            return {"pk": "X", "sk": "Y"}

    with pytest.raises(ValueError):
        Bad(pk="oops").to_item()


def test_importing_the_toolkit_loads_neither_boto3_nor_pydantic() -> None:
    # Cold start: every route imports khaya.db; the SDK loads on the first call only.
    import os

    import khaya

    layer = os.path.dirname(os.path.dirname(khaya.__file__))
    code = (
        "import sys, khaya.db, khaya.db.keys; "
        "print(sorted(m for m in ('boto3', 'botocore', 'pydantic') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": layer}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"


def test_binary_reads_the_same_from_boto3_and_from_a_lambda_stream_record() -> None:
    # Given a vector stored as bytes, as boto3 returns it and as a stream record carries it (base64 JSON)
    raw = bytes(range(8))
    from_boto3 = {"vector": {"B": raw}, "parts": {"L": [{"B": raw}]}, "set": {"BS": [raw]}}
    from_stream = {
        "vector": {"B": "AAECAwQFBgc="},
        "parts": {"L": [{"B": "AAECAwQFBgc="}]},
        "set": {"BS": ["AAECAwQFBgc="]},
    }
    # Then both read as the same bytes
    assert from_item(from_stream) == from_item(from_boto3) == {"vector": raw, "parts": [raw], "set": {raw}}


# Values of every shape the wire carries, and the edges of boto3's rules: bool before number,
# the 38-digit context, empty and mixed sets, bytearray, nested maps and lists, tuples.
_SAME_AS_BOTO3 = [
    None,
    True,
    False,
    0,
    -7,
    25000,
    10**37,
    Decimal("4.50"),
    Decimal("-0"),
    Decimal("1E+2"),
    Decimal("0.000001"),
    "",
    "plumbing",
    b"",
    b"\x00\xff",
    bytearray(b"ab"),
    {"a", "b"},
    {1, Decimal("2.5")},
    {True, 3},
    frozenset({b"x", b"y"}),
    set(),
    {"x": [True, None, {"y": {1}}], "n": 1},
    [1, "a", b"b", None],
    (1, 2),
    {},
    [],
    2.5,
    {2.5, 1},
    [0.1, {"f": -1.25}],
]


# ids by position and type: a set's repr changes order between processes (string hashing)
@pytest.mark.parametrize("value", _SAME_AS_BOTO3, ids=[f"{i}-{type(v).__name__}" for i, v in enumerate(_SAME_AS_BOTO3)])
def test_the_wire_shape_is_boto3s_both_ways(value: object) -> None:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    from khaya.db.codec import _binary_as_bytes, _prepare, from_attr, normalise, to_attr

    # Given a value as a route stores it, serialised as boto3 does (after the codec's own floats rule)
    theirs = TypeSerializer().serialize(_prepare(value))
    # Then ours is the same wire shape, and reads back as boto3's reading of it, normalised
    assert to_attr(value) == theirs
    assert from_attr(theirs) == normalise(TypeDeserializer().deserialize(_binary_as_bytes(theirs)))


class Binary:
    """Named as boto3's binary wrapper, but holding text: not binary."""

    def __init__(self, value: object) -> None:
        self.value = value


@pytest.mark.parametrize(
    "value",
    [Decimal("1." + "1" * 40), Decimal("1E+200"), Decimal("Infinity"), object(), {1, "a"}, [{b"x", 1}], Binary("x")],
    ids=["inexact", "overflow", "infinity", "object", "mixed-set", "nested-mixed-set", "binary-named-text"],
)
def test_what_boto3_refuses_is_refused_with_its_error(value: object) -> None:
    from boto3.dynamodb.types import TypeSerializer

    from khaya.db.codec import _prepare, to_attr

    with pytest.raises(Exception) as theirs:
        TypeSerializer().serialize(_prepare(value))
    with pytest.raises(theirs.type) as ours:
        to_attr(value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "attr",
    [
        {},
        {"X": "1"},
        {"B": 5},
        {"N": "1." + "1" * 40},
        {"NS": ["2", "1E+200"]},
        {"M": {"a": {"NS": ["1." + "2" * 40]}}},
    ],
    ids=["empty", "unknown-type", "binary-not-bytes", "inexact-number", "overflowing-set", "inexact-nested-set"],
)
def test_a_malformed_attribute_is_refused_as_boto3_refuses_it(attr: dict) -> None:
    from boto3.dynamodb.types import TypeDeserializer

    from khaya.db.codec import from_attr

    with pytest.raises(Exception) as theirs:
        TypeDeserializer().deserialize(attr)
    with pytest.raises(theirs.type) as ours:
        from_attr(attr)
    assert str(ours.value) == str(theirs.value)
