"""A consumer behind its queue gets the stream records the router queued, and its failures go
back to SQS by message id: the failed change and the later ones of the same item only."""

from __future__ import annotations

import json
from typing import Any

from khaya.db.stream import process_in_order
from khaya.streams.queued import process


def stream_record(pk: str, seq: int) -> dict[str, Any]:
    return {
        "eventID": f"e{seq}",
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": {"S": pk}}, "SequenceNumber": str(seq)},
    }


def sqs_event(*messages: tuple[str, Any]) -> dict[str, Any]:
    """Messages of (group, body); a body that is not a string is sent as JSON."""
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"MessageGroupId": group},
                "eventSource": "aws:sqs",
            }
            for n, (group, body) in enumerate(messages)
        ]
    }


class Consumer:
    """A stand-in consumer: records in order, the ones whose pk is in ``failing`` fail."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.handled: list[str] = []

    def handle(self, record: dict[str, Any]) -> None:
        if record["eventID"] in self.failing:
            raise RuntimeError("the table throttled")
        self.handled.append(record["eventID"])

    def __call__(self, records: list[dict[str, Any]]) -> list[dict[str, str]]:
        return process_in_order(records, self.handle)


def test_the_consumer_gets_the_stream_records_in_order_and_reports_nothing_when_all_succeed():
    consumer = Consumer()
    event = sqs_event(
        ("JOB#a", stream_record("JOB#a", 1)), ("JOB#b", stream_record("JOB#b", 2)), ("JOB#a", stream_record("JOB#a", 3))
    )
    assert process(event, consumer) == []
    assert consumer.handled == ["e1", "e3", "e2"]  # per item in order; items are independent


def test_a_failure_reports_that_change_and_the_later_ones_of_its_item_only():
    consumer = Consumer(failing={"e2"})
    event = sqs_event(
        ("JOB#a", stream_record("JOB#a", 1)),
        ("JOB#a", stream_record("JOB#a", 2)),
        ("JOB#b", stream_record("JOB#b", 3)),
        ("JOB#a", stream_record("JOB#a", 4)),
    )
    assert process(event, consumer) == [{"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}]
    assert consumer.handled == ["e1", "e3"]  # the other job's change is not held back


def test_a_message_that_is_not_a_stream_record_fails_with_the_rest_of_its_group():
    consumer = Consumer()
    event = sqs_event(
        ("JOB#a", stream_record("JOB#a", 1)),
        ("JOB#a", "not json"),
        ("JOB#a", stream_record("JOB#a", 3)),
        ("JOB#b", {"eventID": "e4"}),  # JSON, but no change in it
        ("JOB#c", stream_record("JOB#c", 5)),
    )
    assert process(event, consumer) == [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]
    assert consumer.handled == ["e1", "e5"]


def test_a_failure_the_consumer_names_by_an_unknown_sequence_fails_the_whole_group():
    def confused(records: list[dict[str, Any]]) -> list[dict[str, str]]:
        return [{"itemIdentifier": ""}]

    event = sqs_event(("JOB#a", stream_record("JOB#a", 1)), ("JOB#a", stream_record("JOB#a", 2)))
    assert process(event, confused) == [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]
