"""Stream consumers run locally from moto's DynamoDB stream, as Lambda's event source mapping does."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.cfn import functions
from local.containers import Pools
from local.streams import StreamPoller, stream_sources
from tests.support.aws import TEST_ENV

TABLE = TEST_ENV["TABLE_NAME"]

CONSUMER = """
seen = []          # every record delivered, in order (sequence numbers)
batches = []       # the size of each batch
failed_once = set()


def handler(event, context):
    batches.append(len(event["Records"]))
    failures = []
    for record in event["Records"]:
        pk = record["dynamodb"]["Keys"]["pk"]["S"]
        seen.append((record["eventName"], pk, record["eventSourceARN"].split("/")[1]))
        if pk.startswith("fail-once") and pk not in failed_once:
            failed_once.add(pk)
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}
"""


def consumer_template(folder: Path, batch_size: int, report_failures: bool = True) -> dict[str, Any]:
    (folder / "consume.py").write_text(textwrap.dedent(CONSUMER), encoding="utf-8")
    props: dict[str, Any] = {
        "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": batch_size,
    }
    if report_failures:
        props["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    return {
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "ConsumeFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": str(folder),
                    "Handler": "consume.handler",
                    "Events": {"Stream": {"Type": "DynamoDB", "Properties": props}},
                },
            },
        }
    }


@pytest.fixture
def consumer(aws: None, tmp_path: Path) -> Any:
    def build(
        batch_size: int = 10, report_failures: bool = True, skip_existing: bool = False
    ) -> tuple[StreamPoller, Any]:
        fns = functions(consumer_template(tmp_path, batch_size, report_failures))
        pools = Pools(fns)
        poller = StreamPoller(stream_sources(fns), pools, {"Table": TABLE}, skip_existing=skip_existing)
        with pools["ConsumeFunction"].container():
            module = sys.modules["_khaya_fn_ConsumeFunction_0"]
        return poller, module

    yield build
    for name in [m for m in sys.modules if m.startswith("_khaya_fn_ConsumeFunction_")]:
        del sys.modules[name]


def put(pk: str) -> None:
    boto3.client("dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": pk}, "sk": {"S": "x"}})


def test_writes_reach_the_consumer_in_batches_of_the_templates_size(consumer: Any) -> None:
    # Given a consumer with BatchSize 2
    poller, module = consumer(batch_size=2)
    # When three items are written and then one is deleted
    for pk in ("a", "b", "c"):
        put(pk)
    boto3.client("dynamodb").delete_item(TableName=TABLE, Key={"pk": {"S": "a"}, "sk": {"S": "x"}})
    poller.poll_once()
    # Then every change arrives once, in order, in batches of at most 2, with the stream's ARN
    assert [(e, pk) for e, pk, _ in module.seen] == [("INSERT", "a"), ("INSERT", "b"), ("INSERT", "c"), ("REMOVE", "a")]
    assert module.batches == [2, 2]
    assert {table for *_, table in module.seen} == {TABLE}


def test_a_reported_item_failure_is_retried_from_that_record(consumer: Any) -> None:
    # Given a consumer that fails "fail-once-b" the first time it sees it
    poller, module = consumer(batch_size=10)
    for pk in ("a", "fail-once-b", "c"):
        put(pk)
    # When the stream is polled twice
    poller.poll_once()
    poller.poll_once()
    # Then the failed record and those after it are delivered again; the one before is not
    assert [pk for _, pk, _ in module.seen] == ["a", "fail-once-b", "c", "fail-once-b", "c"]


def test_after_a_seed_the_consumer_starts_with_what_happens_next(consumer: Any) -> None:
    # Given records already in the stream (the demo data set) and a consumer told to skip them
    put("seeded-1")
    put("seeded-2")
    poller, module = consumer(skip_existing=True)
    poller.poll_once()
    # When a new change happens
    put("fresh")
    poller.poll_once()
    # Then only that change is delivered
    assert [pk for _, pk, _ in module.seen] == ["fresh"]


def test_nothing_new_means_no_invocation(consumer: Any) -> None:
    poller, module = consumer()
    assert poller.poll_once() == 0
    assert module.batches == []


def test_a_crashing_consumer_is_retried_a_bounded_number_of_times(consumer: Any, tmp_path: Path) -> None:
    # Given a consumer that always raises
    poller, module = consumer(batch_size=10, report_failures=False)
    module.handler = lambda event, context: (module.batches.append(len(event["Records"])), 1 / 0)
    put("a")
    # When the stream is polled more often than the retry bound
    for _ in range(6):
        poller.poll_once()
    # Then the batch was tried 1 + 3 times, then dropped (no endless loop)
    assert module.batches == [1, 1, 1, 1]


def test_settle_returns_once_what_was_written_has_been_delivered(consumer: Any) -> None:
    # Given a running poller that only looks every 10 s, and a consumer that writes once more per record
    poller, module = consumer(batch_size=10)
    poller.interval = 10.0
    real = module.handler

    def echo(event: Any, context: Any) -> Any:
        for record in event["Records"]:
            pk = record["dynamodb"]["Keys"]["pk"]["S"]
            if not pk.startswith("echo-"):
                put(f"echo-{pk}")
        return real(event, context)

    module.handler = echo
    poller.start()
    try:
        assert poller.settle(timeout=30)  # the poll at start-up (nothing there)
        # When two items are written and the stage is asked to settle
        put("a")
        put("b")
        assert poller.settle(timeout=30)
        # Then both, and what the consumer wrote for them, were delivered before settle returned
        # (well before the 10 s interval: settle asks for a poll at once)
        assert sorted(pk for _, pk, _ in module.seen) == ["a", "b", "echo-a", "echo-b"]
    finally:
        poller.stop()


def test_settle_on_a_poller_that_is_not_running_says_so(consumer: Any) -> None:
    poller, _ = consumer()
    assert poller.settle(timeout=0.2) is False
