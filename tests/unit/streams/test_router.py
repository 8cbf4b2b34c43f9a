"""The table stream's router: every change reaches the queue of each consumer that wants it,
in item order, once, and a change SQS refuses is retried by the stream."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from khaya.identity import keys as identity_keys
from khaya.market import keys as market_keys
from khaya.streams.registry import CONSUMERS, consumers_for
from khaya.streams.router import MAX_BATCH_BYTES, sqs_id
from local.cfn import load_template
from local.events import LambdaContext
from local.intrinsics import Resolver
from local.loader import function_by_id, load_handler

RESOLVER = Resolver(load_template())
QUEUES = {"notify": "NotifyQueue", "ai-enrich": "AiEnrichQueue"}
_seq = iter(range(10**20, 10**21))


def record(key: Any, event: str = "INSERT", **image: str) -> dict[str, Any]:
    """A stream record of ``key`` as Lambda delivers it (NEW_AND_OLD_IMAGES)."""
    pk, sk = key
    seq = str(next(_seq))
    new = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in image.items()}}
    change: dict[str, Any] = {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}}, "SequenceNumber": seq, "SizeBytes": 60}
    if event != "REMOVE":
        change["NewImage"] = new
    if event != "INSERT":
        change["OldImage"] = new
    return {
        "eventID": f"ev{seq}",
        "eventName": event,
        "eventSource": "aws:dynamodb",
        "awsRegion": "af-south-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:af-south-1:123456789012:table/khaya-local/stream/local",
    }


def wanted_by(rec: dict[str, Any]) -> set[str]:
    return {c.name for c in consumers_for(rec)}


def route(records: list[dict[str, Any]]) -> dict[str, Any]:
    fn = function_by_id("TableStreamRouterFunction")
    result: dict[str, Any] = load_handler(fn)({"Records": records}, LambdaContext(fn.logical_id))
    return result


def queued(consumer: str) -> list[dict[str, Any]]:
    """Every message waiting in the consumer's queue, in the order a receiver gets them."""
    sqs = boto3.client("sqs")
    url = str(RESOLVER.get_att(QUEUES[consumer], "QueueUrl"))
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
        if not got.get("Messages"):
            return out
        out += got["Messages"]
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got["Messages"])],
        )


# ---------------------------------------------------------------------- who wants what


def test_a_posted_job_goes_to_notifications_and_enrichment():
    assert wanted_by(record(market_keys.job("j1"), title="Fix a tap")) == {"notify", "ai-enrich"}
    assert wanted_by(record(market_keys.job("j1"), "MODIFY", title="Fix the tap")) == {"notify", "ai-enrich"}


def test_bids_and_messages_go_to_notifications_only():
    assert wanted_by(record(market_keys.bid("j1", "w1"))) == {"notify"}
    assert wanted_by(record(market_keys.message("j1.w1", "m1"), text="Hello")) == {"notify"}


def test_changes_no_consumer_wants_go_nowhere():
    assert wanted_by(record(identity_keys.otp("+27821234567", "login"), send="queued")) == set()
    assert wanted_by(record(identity_keys.user("u1"), name="Thandi")) == set()
    assert wanted_by(record(market_keys.job("j1"), "REMOVE")) == set()  # deletions interest no one


def test_every_consumer_pattern_is_valid_and_names_a_setting():
    from khaya.streams.patterns import validate

    with pytest.raises(ValueError):
        validate({"eventName": [{"prefixx": "IN"}]})  # a typo is refused, not silently unmatched
    assert len({c.name for c in CONSUMERS}) == len(CONSUMERS)
    assert all(c.queue_url_setting.endswith("_QUEUE_URL") for c in CONSUMERS)


# ---------------------------------------------------------------------- what reaches the queues


def test_each_change_reaches_the_queues_that_want_it_with_its_item_as_group_and_event_as_dedupe_id(aws):
    job, bid, otp = (
        record(market_keys.job("j1"), title="Fix a tap"),
        record(market_keys.bid("j1", "w1")),
        record(identity_keys.otp("+27821234567", "login"), send="queued"),
    )
    # When the router gets the batch
    assert route([job, bid, otp]) == {"batchItemFailures": []}
    # Then notifications get the job and the bid, in order, in the job's group
    notify = queued("notify")
    assert [json.loads(m["Body"]) for m in notify] == [job, bid]
    assert {m["Attributes"]["MessageGroupId"] for m in notify} == {"JOB#j1"}
    assert [m["Attributes"]["MessageDeduplicationId"] for m in notify] == [
        f"{job['eventID']}:notify",
        f"{bid['eventID']}:notify",
    ]
    # And enrichment gets the job only; the code request went nowhere
    (enrich,) = queued("ai-enrich")
    assert json.loads(enrich["Body"]) == job
    assert enrich["Attributes"]["MessageDeduplicationId"] == f"{job['eventID']}:ai-enrich"


def test_a_batch_the_stream_delivers_again_is_not_queued_twice(aws):
    batch = [record(market_keys.job("j2"), title="Paint a wall"), record(market_keys.bid("j2", "w1"))]
    assert route(batch) == {"batchItemFailures": []}
    assert route(batch) == {"batchItemFailures": []}  # a retry of the same records
    assert len(queued("notify")) == 2 and len(queued("ai-enrich")) == 1


def test_a_large_batch_arrives_whole_and_in_order(aws):
    # Given 25 bids on one job (more than one SendMessageBatch holds)
    batch = [record(market_keys.bid("j3", f"w{n:02d}")) for n in range(25)]
    assert route(batch) == {"batchItemFailures": []}
    assert [json.loads(m["Body"])["eventID"] for m in queued("notify")] == [r["eventID"] for r in batch]


def test_an_item_key_sqs_would_refuse_as_a_group_id_gets_a_stable_safe_one(aws):
    # Given a key SQS would refuse as a group id (a space, a letter outside ASCII)
    pk = "JOB#Port Élizabeth"
    assert sqs_id(pk) == sqs_id(pk) != pk and len(sqs_id(pk)) <= 128
    # When a change of it is routed / Then it is queued, in the group its safe id names
    assert route([record((pk, "BID#w1"))]) == {"batchItemFailures": []}
    assert queued("notify")[0]["Attributes"]["MessageGroupId"] == sqs_id(pk)


# ---------------------------------------------------------------------- failures


def test_a_message_sqs_refuses_fails_its_record_and_every_later_one(aws):
    from khaya.aws import client

    batch = [record(market_keys.bid("j5", f"w{n}")) for n in range(4)]
    sqs = client("sqs")  # the router's own client (made once per process, as on Lambda)
    with Stubber(sqs) as stub:
        # Given SQS takes the first two messages and refuses the third (the fourth was sent too)
        stub.add_response(
            "send_message_batch",
            {
                "Successful": [{"Id": i, "MessageId": f"m{i}", "MD5OfMessageBody": "0" * 32} for i in ("0", "1", "3")],
                "Failed": [{"Id": "2", "SenderFault": False, "Code": "InternalError"}],
            },
        )
        result = route(batch)
        stub.assert_no_pending_responses()
    # Then the stream is told to retry from the refused record on, and nothing before it
    seqs = [r["dynamodb"]["SequenceNumber"] for r in batch]
    assert result == {"batchItemFailures": [{"itemIdentifier": s} for s in seqs[2:]]}


def test_a_queue_that_cannot_be_reached_fails_only_from_the_first_record_it_wanted(aws):
    # Given the enrichment queue is gone
    boto3.client("sqs").delete_queue(QueueUrl=str(RESOLVER.get_att("AiEnrichQueue", "QueueUrl")))
    bid, job = record(market_keys.bid("j6", "w1")), record(market_keys.job("j7"), title="Tile a floor")
    # When the router gets a bid then a job
    result = route([bid, job])
    # Then the job (wanted by enrichment) is reported, the bid is not; notifications got both
    assert result == {"batchItemFailures": [{"itemIdentifier": job["dynamodb"]["SequenceNumber"]}]}
    assert [json.loads(m["Body"]) for m in queued("notify")] == [bid, job]


def test_a_record_larger_than_an_sqs_message_is_reported_not_dropped(aws):
    big = record(market_keys.job("j8"), description="x" * MAX_BATCH_BYTES)
    result = route([big])
    assert result == {"batchItemFailures": [{"itemIdentifier": big["dynamodb"]["SequenceNumber"]}]}
    assert queued("notify") == [] and queued("ai-enrich") == []
