"""Queue consumers run locally from moto's SQS, as Lambda's SQS event source mapping does:
batches of the template's size, reported failures retried, then the dead-letter queue."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.cfn import functions
from local.containers import Pools
from local.intrinsics import Resolver
from local.queues import QueuePoller, queue_sources

CONSUMER = """
seen = []      # every message body delivered, in order
batches = []   # the size of each batch


def handler(event, context):
    batches.append(len(event["Records"]))
    failures = []
    for message in event["Records"]:
        seen.append(message["body"])
        assert message["eventSource"] == "aws:sqs" and message["attributes"]["MessageGroupId"]
        if message["body"].startswith("fail"):
            failures.append({"itemIdentifier": message["messageId"]})
    return {"batchItemFailures": failures}
"""
MAX_RECEIVES = 3


def consumer_template(folder: Path, batch_size: int) -> dict[str, Any]:
    (folder / "consume.py").write_text(textwrap.dedent(CONSUMER), encoding="utf-8")
    return {
        "Resources": {
            "WorkQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "work.fifo", "FifoQueue": True}},
            "WorkFailures": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": "work-failures.fifo", "FifoQueue": True},
            },
            "ConsumeFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": str(folder),
                    "Handler": "consume.handler",
                    "Events": {
                        "Work": {
                            "Type": "SQS",
                            "Properties": {
                                "Queue": {"Fn::GetAtt": ["WorkQueue", "Arn"]},
                                "BatchSize": batch_size,
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            },
                        }
                    },
                },
            },
        }
    }


@pytest.fixture
def consumer(aws: None, tmp_path: Path) -> Any:
    def build(batch_size: int = 10) -> tuple[QueuePoller, Any, Any]:
        template = consumer_template(tmp_path, batch_size)
        resolver = Resolver(template)
        sqs = boto3.client("sqs")
        dlq = sqs.create_queue(QueueName="work-failures.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        redrive = {"deadLetterTargetArn": resolver.get_att("WorkFailures", "Arn"), "maxReceiveCount": MAX_RECEIVES}
        sqs.create_queue(QueueName="work.fifo", Attributes={"FifoQueue": "true", "RedrivePolicy": json.dumps(redrive)})
        fns = functions(template)
        pools = Pools(fns)
        poller = QueuePoller(queue_sources(fns), pools, resolver, retry_after=0)
        with pools["ConsumeFunction"].container():
            module = sys.modules["_khaya_fn_ConsumeFunction_0"]
        return poller, module, dlq

    yield build
    for name in [m for m in sys.modules if m.startswith("_khaya_fn_ConsumeFunction_")]:
        del sys.modules[name]


def send(*bodies: str, group: str = "g") -> None:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="work.fifo")["QueueUrl"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)


def test_messages_reach_the_consumer_in_order_in_batches_of_the_templates_size(consumer: Any) -> None:
    poller, module, _ = consumer(batch_size=4)
    send(*[f"m{n}" for n in range(10)])
    poller.poll_once()
    assert module.seen == [f"m{n}" for n in range(10)]
    assert module.batches == [4, 4, 2]
    assert poller.poll_once() == 0  # each was deleted once handled


def test_a_reported_failure_is_retried_then_kept_in_the_dead_letter_queue(consumer: Any) -> None:
    # Given a message the consumer always fails, beside one it handles, in another group
    poller, module, dlq = consumer()
    send("fail-always", group="a")
    send("fine", group="b")
    # When the queue is polled more often than maxReceiveCount
    for _ in range(MAX_RECEIVES + 2):
        poller.poll_once()
    # Then the failing one was delivered maxReceiveCount times, the other once
    assert module.seen.count("fail-always") == MAX_RECEIVES and module.seen.count("fine") == 1
    # And the failing one waits in the dead-letter queue
    (kept,) = boto3.client("sqs").receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert kept["Body"] == "fail-always"


def test_a_crashing_consumer_fails_the_whole_batch(consumer: Any) -> None:
    poller, module, dlq = consumer()
    module.handler = lambda event, context: (module.batches.append(len(event["Records"])), 1 / 0)
    send("x", "y")
    for _ in range(MAX_RECEIVES + 2):
        poller.poll_once()
    assert module.batches == [2] * MAX_RECEIVES
    kept = boto3.client("sqs").receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in kept) == ["x", "y"]
