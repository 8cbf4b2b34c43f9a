"""The benchmark harness counts what it claims to count (fast, in-process, moto)."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from bench.child import CallCounter
from local.events import LambdaContext, http_event
from local.loader import function_by_id, load_handler
from tests.support.aws import TEST_ENV

TABLE = TEST_ENV["TABLE_NAME"]

BARE = Path(__file__).resolve().parents[2] / "bench" / "bare" / "bare_handler.py"


def _load_bare(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, BARE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_health_makes_exactly_one_getitem_and_the_bare_twin_replays_it(aws, tmp_path, monkeypatch):
    # Given the health function and the call counter hooked on every new botocore client
    handler = load_handler(function_by_id("GetHealthFunction"))
    event = http_event("GET", "/v1/health")

    # When it serves one request while counted
    with CallCounter() as counter:
        result = handler(event, LambdaContext("GetHealthFunction"))

    # Then the harness sees exactly one DynamoDB GetItem on the table, and no Scan
    assert result["statusCode"] == 200
    assert counter.operations == ["GetItem"]
    assert counter.calls[0]["params"]["TableName"] == TABLE

    # Given those calls written as the bare handler's replay file
    replay = tmp_path / "health.replay.json"
    replay.write_text(json.dumps([{"method": "get_item", "params": c["params"]} for c in counter.calls]))
    monkeypatch.setenv("BENCH_REPLAY", str(replay))

    # When the bare handler (boto3 only) is loaded and serves the same event, counted
    with CallCounter() as bare_counter:
        bare = _load_bare("_bench_bare_health")
        bare_result = bare.handler(event, None)

    # Then it made the very same DynamoDB calls and answered like API Gateway expects
    assert bare_counter.operations == ["GetItem"]
    assert bare_counter.calls[0]["params"] == counter.calls[0]["params"]
    assert bare_result["statusCode"] == 200
    assert json.loads(bare_result["body"]) == {"status": "ok"}


@pytest.mark.parametrize("logical_id", ["RefreshTokenFunction", "VerifyOtpFunction"])
def test_a_scenario_that_restores_its_state_measures_a_success_on_every_run(aws, logical_id):
    import boto3

    from bench.scenarios import SCENARIOS, Context

    # Given the scenario of a route that can succeed only once per state (a token rotates, a code is used)
    ddb = boto3.client("dynamodb", region_name=TEST_ENV["AWS_DEFAULT_REGION"])
    ctx = Context(logical_id, TABLE, ddb, {})
    event = SCENARIOS[logical_id](ctx)
    assert event is not None and ctx.restore is not None
    handler = load_handler(function_by_id(logical_id))

    def serve() -> int:
        return int(handler(copy.deepcopy(event), LambdaContext(logical_id))["statusCode"])

    # Then its event succeeds once, a repeat is refused, and after the restore it succeeds again
    assert serve() == 200
    assert serve() in (400, 401)
    ctx.restore()
    assert serve() == 200
    # And the harness holds every cold run to that success and replays the first request's calls
    assert ctx.expect_status == 200 and ctx.replay_first
