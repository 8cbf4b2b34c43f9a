"""Every protected route, called with a request that is valid in every other way but carries no
caller, answers 401 in the error envelope and changes nothing.

The gateway's authorizer stops such a request first; this shows the handler refuses it too
(defence in depth), and that it says 401, not a 400 about the body or a 404 about the id. The
request of each route is its committed event (``events/``): its path, query and body are the
ones a real client sends, only the authorizer's context is taken away. A protected route
without an event fails here, so a new route cannot skip this."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.cfn import ROOT, functions
from local.events import LambdaContext
from local.loader import load_handler

PROTECTED = sorted(
    ((fn, f"{r.method} {r.path}") for fn in functions() for r in fn.routes if not r.public and r.path != "$default"),
    key=lambda pair: pair[1],
)


def _event_for(route_key: str) -> dict[str, Any] | None:
    for path in sorted((ROOT / "events").glob("*/*.json")):
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        if event.get("routeKey") == route_key:
            return dict(event)
    return None


def test_there_are_protected_routes_to_check():
    assert len(PROTECTED) > 20


@pytest.mark.parametrize(("fn", "route_key"), PROTECTED, ids=[key for _, key in PROTECTED])
def test_a_valid_request_without_a_caller_is_401_and_changes_nothing(aws, fn, route_key):
    from tests.integration.identity.helpers import table_items

    event = _event_for(route_key)
    assert event is not None, f"add an event for {route_key} under events/{fn.domain}/"
    # Given the route's own valid request, with no caller (no authorizer context)
    event["requestContext"].pop("authorizer", None)
    event["headers"].pop("authorization", None)
    before = table_items()
    # When the function serves it
    res = load_handler(fn)(event, LambdaContext(fn.logical_id))
    # Then 401 in the error envelope, and nothing was written
    assert res["statusCode"] == 401, res.get("body")
    body = json.loads(res["body"])
    assert set(body) == {"error", "requestId"} and body["error"]["code"] == "unauthorized", body
    assert table_items() == before
