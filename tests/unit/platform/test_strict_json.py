"""JSON bodies are parsed once, strictly, before any route code runs.

What Python's own parser crashes on (deep nesting → RecursionError, a 5,000-digit integer →
ValueError) or lets through although it is not interoperable JSON (NaN, Infinity, 1e400,
lone surrogates, integers past 2^53) is a 400 ``malformed_json`` in the envelope: never a
500, never a stack trace in the log, and the route never sees it.
"""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, StrictInt

from khaya.http import Router, make_handler
from khaya.strict_json import MAX_JSON_DEPTH, MAX_JSON_INT
from local.cfn import functions
from local.events import LambdaContext, http_event
from tests.conftest import Result
from tests.support.logs import captured_logs

NESTED_CRASH = "[" * 100_000 + "]" * 100_000
HUGE_INT = '{"name": "Rex", "age": ' + "9" * 5000 + "}"

seen: list[object] = []
router = Router()


class PetIn(BaseModel):
    name: str
    age: StrictInt
    extra: object = None


@router.post("/v1/pets")
def create_pet(pet: PetIn) -> dict[str, object]:
    seen.append(pet)
    return {"name": pet.name, "age": pet.age}


handler = make_handler(router)


def post(raw: str) -> Result:
    event = http_event("POST", "/v1/pets", body=raw, headers={"content-type": "application/json"}, request_id="r-1")
    return Result(handler(event, LambdaContext()))


def nested(depth: int) -> str:
    return '{"name": "Rex", "age": 1, "extra": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(NESTED_CRASH, id="nesting that overflows the parser's stack"),
        pytest.param(HUGE_INT, id="a 5000-digit integer"),
        pytest.param(nested(MAX_JSON_DEPTH), id="one level deeper than allowed"),
        pytest.param('{"name": "Rex", "age": ' + str(MAX_JSON_INT + 1) + "}", id="an integer past 2^53-1"),
        pytest.param('{"name": "Rex", "age": -' + str(MAX_JSON_INT + 1) + "}", id="a negative integer past 2^53-1"),
        pytest.param('{"name": "Rex", "age": NaN}', id="NaN"),
        pytest.param('{"name": "Rex", "age": Infinity}', id="Infinity"),
        pytest.param('{"name": "Rex", "age": -Infinity}', id="-Infinity"),
        pytest.param('{"name": "Rex", "age": 1e400}', id="a float that overflows to infinity"),
        pytest.param('{"name": "Rex", "age": 1, "extra": -1e400}', id="a negative float that overflows"),
        pytest.param('{"name": "\\ud800", "age": 1}', id="a lone high surrogate"),
        pytest.param('{"name": "Rex", "age": 1, "extra": {"\\udc00": 1}}', id="a lone low surrogate in a key"),
        pytest.param('{"name": "Rex", "age": 1', id="truncated"),
        pytest.param('\ufeff{"name": "Rex", "age": 1}', id="a byte-order mark"),
    ],
)
def test_bodies_that_are_not_strict_json_are_400_before_the_route_runs(raw):
    seen.clear()
    # Given a body Python's parser would crash on or let through / When it is posted
    with captured_logs() as logs:
        res = post(raw)
    # Then the client gets 400 malformed_json in the envelope, the route never ran,
    assert res.status == 400, res
    assert res.json["error"]["code"] == "malformed_json" and res.json["requestId"] == "r-1"
    assert seen == []
    # and nothing was logged as an error (no stack trace)
    assert '"level":"ERROR"' not in logs.getvalue() and "Traceback" not in logs.getvalue()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(nested(MAX_JSON_DEPTH - 1), {"name": "Rex", "age": 1}, id="nesting at the limit"),
        pytest.param(
            '{"name": "Rex", "age": ' + str(MAX_JSON_INT) + "}", {"name": "Rex", "age": MAX_JSON_INT}, id="2^53-1"
        ),
        pytest.param('{"name": "\\ud83d\\ude00", "age": 1}', {"name": "\U0001f600", "age": 1}, id="a surrogate pair"),
        pytest.param('{"name": "\\\\ud800", "age": 1}', {"name": "\\ud800", "age": 1}, id="an escaped backslash"),
        pytest.param('{"name": "Rex", "name": "Max", "age": 1}', {"name": "Max", "age": 1}, id="duplicate keys: last"),
        pytest.param('{"name": "Rex", "age": 1, "extra": 1.5e300}', {"name": "Rex", "age": 1}, id="a large float"),
        pytest.param('{"name": "Rex", "age": 3.0}', {"name": "Rex", "age": 3}, id="an integer written 3.0"),
        pytest.param('{"name": "Rex", "age": 3e2}', {"name": "Rex", "age": 300}, id="an integer written 3e2"),
        pytest.param(
            json.dumps({"name": "[{" * 40 + '"', "age": 1}), {"name": "[{" * 40 + '"', "age": 1}, id="brackets in text"
        ),
    ],
)
def test_strict_json_still_accepts_what_is_valid(raw, expected):
    # Given a body at the edge of the rules / When it is posted / Then the route answers it
    res = post(raw)
    assert res.status == 200, res
    assert res.json == expected


def test_the_body_is_parsed_once():
    # Given a valid body / When it is posted / Then the route sees exactly what was sent
    res = post(json.dumps({"name": "Rex", "age": 3, "extra": {"a": [1, 2, {"b": None}]}}))
    assert res.status == 200 and seen[-1].extra == {"a": [1, 2, {"b": None}]}


def _public_body_routes() -> list[tuple[str, str]]:
    return sorted(
        (r.method, r.path)
        for fn in functions()
        for r in fn.routes
        if r.public and r.method in ("POST", "PUT", "PATCH", "DELETE") and "/v1/webhooks/" not in r.path
    )


@pytest.mark.parametrize("route", _public_body_routes(), ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("raw", [NESTED_CRASH, HUGE_INT], ids=["deep nesting", "5000-digit integer"])
def test_public_routes_answer_400_not_500_to_crashing_bodies(aws, call_route, route, raw):
    method, path = route
    # Given a public route of the API / When one of the crashing bodies is posted to it
    with captured_logs() as logs:
        res = call_route(method, path, body=raw, headers={"content-type": "application/json"})
    # Then it is 400 malformed_json, with no stack trace logged
    assert res.status == 400, res
    assert res.json["error"]["code"] == "malformed_json"
    assert "Traceback" not in logs.getvalue()


def test_a_number_with_a_fraction_is_still_not_an_integer():
    res = post('{"name": "Rex", "age": 3.5}')
    assert res.status == 400 and res.json["error"]["code"] == "validation_error"
