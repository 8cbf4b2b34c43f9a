"""Every function can be invoked with each of its events/ files, as `sam local invoke -e` would."""

import json
from pathlib import Path

import pytest

from local.cfn import ROOT, functions
from local.events import LambdaContext
from local.loader import load_handler

FUNCTIONS = functions()


def events_of(fn) -> list[Path]:
    return sorted((ROOT / "events" / fn.domain).glob(f"{fn.name}*.json"))


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_every_function_has_at_least_one_event(fn):
    # Given a function in template.yaml / Then a developer finds an event to invoke it with
    assert events_of(fn), f"add events/{fn.domain}/{fn.name}.json"


CASES = [(fn, path) for fn in FUNCTIONS for path in events_of(fn)]


@pytest.mark.parametrize("fn,event_path", CASES, ids=[f"{fn.logical_id}:{p.name}" for fn, p in CASES])
def test_each_event_gets_a_non_5xx_answer(aws, fn, event_path):
    # Given the function's event file and the table on moto
    event = json.loads(event_path.read_text())
    # When the handler is invoked the way Lambda invokes it
    result = load_handler(fn)(event, LambdaContext(fn.logical_id))
    # Then it answers, and an HTTP answer is not a server error
    assert isinstance(result, dict)
    if "statusCode" in result:
        assert result["statusCode"] < 500, result.get("body")
        if "routeKey" in event and event.get("routeKey") != "$default":
            assert result["headers"].get("X-Request-Id") == event["requestContext"]["requestId"]
