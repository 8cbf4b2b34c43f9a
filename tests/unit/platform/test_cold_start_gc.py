"""The layer pauses Python's cyclic garbage collector for a Lambda cold start, and only for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_PROBE = """
import gc, json, sys
before = gc.get_freeze_count()
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import khaya
paused = not gc.isenabled()
from route_not_found import handler
event = {"version": "2.0", "routeKey": "$default", "rawPath": "/nowhere", "headers": {},
         "requestContext": {"requestId": "r-1", "http": {"method": "GET", "path": "/nowhere"}}}
status = handler(event, None)["statusCode"]
on_after, frozen = gc.isenabled(), gc.get_freeze_count() - before
handler(event, None)
again = gc.get_freeze_count() - before
gc.disable()  # someone else's pause is theirs: a request does not end it
handler(event, None)
print(json.dumps({"paused": paused, "on_after": on_after, "frozen": frozen, "status": status,
                  "frozen_again": again - frozen, "foreign_pause_kept": not gc.isenabled()}))
"""


def _probe(**env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT / "functions" / "platform"), str(ROOT / "layers" / "core")],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_in_lambda_the_collector_is_paused_until_the_first_request_which_freezes_the_cold_start():
    seen = _probe(AWS_LAMBDA_FUNCTION_NAME="khaya-test-RouteNotFoundFunction")
    assert seen["paused"] is True
    assert seen["status"] == 404
    assert seen["on_after"] is True and int(seen["frozen"]) > 1000  # type: ignore[call-overload]
    # And only the first request freezes: later ones leave the heap to the collector
    assert seen["frozen_again"] == 0 and seen["foreign_pause_kept"] is True


def test_outside_lambda_importing_the_layer_leaves_the_collector_alone():
    seen = _probe()
    assert seen["paused"] is False and seen["on_after"] is True and seen["frozen"] == 0
    assert seen["frozen_again"] == 0
