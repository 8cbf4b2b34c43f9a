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
    ctx = Context(logical_id, TABLE, ddb, {}, None)
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


def _fake_children(journal: list[Any], cold_status: int) -> Any:
    first = [
        {"operation": "GetItem", "params": {"TableName": TABLE}},
        {"operation": "TransactWriteItems", "params": {}},
    ]
    repeat = [{"operation": "GetItem", "params": {"TableName": TABLE}}, {"operation": "UpdateItem", "params": {}}]

    def spawn(spec: dict[str, Any], env: dict[str, str], cwd: Path, **_: Any) -> tuple[float, dict[str, Any]]:
        replay = env.get("BENCH_REPLAY")
        side = "bare" if replay else "real"
        methods = [c["method"] for c in json.loads(Path(replay).read_text())] if replay else None
        journal.append((spec["mode"], side, methods))
        report: dict[str, Any] = {"import_ms": 1.0, "invoke_ms": 1.0, "cpu_ms": 5.0, "foreign": [], "forbidden": []}
        report["status"] = cold_status if (spec["mode"], side) == ("cold", "real") else 200
        if spec["mode"] == "warm":
            report.update(warm_ms=[1.0], ddb_ms=[0.5], first_calls=first, warm_calls=repeat if side == "real" else [])
        return 10.0, report

    return spawn


@pytest.mark.parametrize("cold_status", [200, 401])
def test_a_restored_scenario_is_restored_before_every_child_and_its_cold_runs_must_succeed(
    tmp_path, monkeypatch, cold_status
):
    import argparse

    import bench.run as harness

    # Given a scenario that restores its state and expects 200, and children that report what they replay
    journal: list[Any] = []
    target = harness.locate(function_by_id("RefreshTokenFunction"), tmp_path / "no-build")
    target.event, target.event_source = {"body": "{}"}, "test"
    target.restore, target.expect_status, target.replay_first = (lambda: journal.append("restore")), 200, True
    monkeypatch.setattr(harness, "spawn", _fake_children(journal, cold_status))
    args = argparse.Namespace(warm_runs=1, warm_rounds=2, cold_runs=2, profile=None)

    if cold_status != 200:
        # Then a cold run answering anything else fails the row instead of measuring a 4xx
        with pytest.raises(RuntimeError, match=r"cold runs answered \[401, 401\]"):
            harness.bench_one(target, "http://127.0.0.1:1", tmp_path, None, args)
        return
    result = harness.bench_one(target, "http://127.0.0.1:1", tmp_path, None, args)

    # Then every child, of either side, starts right after a restore
    children = [i for i, entry in enumerate(journal) if entry != "restore"]
    assert len(children) == 8 and all(journal[i - 1] == "restore" for i in children)
    runs = [journal[i] for i in children]
    # And the bare cold runs replay the first request's calls, its warm runs a repeat's
    assert [m for mode, side, m in runs if (mode, side) == ("cold", "bare")] == [
        ["get_item", "transact_write_items"]
    ] * 2
    assert [m for mode, side, m in runs if (mode, side) == ("warm", "bare")] == [["get_item", "update_item"]] * 2
    assert result["ddb"]["first_request_operations"] == ["GetItem", "TransactWriteItems"]
