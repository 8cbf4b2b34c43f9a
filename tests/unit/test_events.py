"""Every function can be invoked with each of its events/ files, as `sam local invoke -e` would,
and a success event reaches its handler's real work and succeeds.

Before each event, what it refers to is made real through the API (``local.event_seeds``, the
same seeds ``make check-artifacts`` uses against the built artifacts): the users, the job and its
bid, a live code or refresh token... Then the event must get the answer a success gets: the
status the OpenAPI document gives its route (201 for a create, 204 for a logout...), the
authorizer's allow, a stream batch with no failures."""

import gc
import json
from pathlib import Path

import pytest

import khaya
from local.cfn import ROOT, functions
from local.event_seeds import SEEDS, World, expected, outcome
from local.events import LambdaContext
from local.loader import load_handler

FUNCTIONS = functions()
# Twilio status callbacks are signed against the stage's public URL; give the local stage one.
CALLBACK_URL = "https://api.khaya.test/v1/webhooks/twilio/status"


def events_of(fn) -> list[Path]:
    return sorted((ROOT / "events" / fn.domain).glob(f"{fn.name}*.json"))


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_every_function_has_at_least_one_event(fn):
    # Given a function in template.yaml / Then a developer finds an event to invoke it with
    assert events_of(fn), f"add events/{fn.domain}/{fn.name}.json"


CASES = [(fn, path) for fn in FUNCTIONS for path in events_of(fn)]


@pytest.mark.parametrize("fn,event_path", CASES, ids=[f"{fn.logical_id}:{p.name}" for fn, p in CASES])
def test_each_event_reaches_its_handlers_work_and_succeeds(aws, monkeypatch, fn, event_path):
    monkeypatch.setenv("TWILIO_STATUS_CALLBACK_URL", CALLBACK_URL)
    name = str(event_path.relative_to(ROOT / "events"))
    entry = SEEDS.get(name)
    assert entry is not None, f"add a seed for {name} to local/event_seeds.py (what the event refers to)"
    # Given what the event refers to, made real through the API, and the event bound to it
    event = json.loads(event_path.read_text())
    world = World()
    for bind in entry.seed(world):
        event = bind(event)
    # When the handler is invoked the way Lambda invokes it, first request of a cold start (the
    # layer paused the garbage collector at import)
    handler = load_handler(fn)
    khaya.pause_collector()
    try:
        result = handler(event, LambdaContext(fn.logical_id))
        # Then the request ran with the collector back on: no entry point leaves it paused
        assert gc.isenabled(), f"{fn.logical_id}'s handler does not end the cold start's pause (khaya.entry)"
    finally:
        khaya.warm()  # (if the handler did not)
        gc.unfreeze()  # this test process's heap is not a cold start's: let it be collected
    # And it answers what a success answers
    got, _ = outcome(result)
    want = entry.expectation(event)
    assert expected(got, want), f"{name}: expected {want}, got {got}: {str(result)[:500]}"
    if "statusCode" in result and event.get("routeKey") != "$default":
        assert result["headers"].get("X-Request-Id") == event["requestContext"]["requestId"]
