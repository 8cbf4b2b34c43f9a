"""template.yaml keeps the table stream within what DynamoDB Streams serves: at most two
readers of a shard, every other consumer behind the router with a queue of its own, and each
step of adding a consumer in place."""

from __future__ import annotations

from typing import Any

from khaya.streams.registry import CONSUMERS
from local.cfn import functions, load_template
from local.iam import function_policies, sam_transform
from local.intrinsics import Resolver

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
BY_ID = {f.logical_id: f for f in functions()}
RESOLVER = Resolver(TEMPLATE)
ROUTER = BY_ID.get("TableStreamRouterFunction")  # None in a template without it: its tests fail, not the module
ROLES = function_policies()
MAX_STREAM_READERS = 2


def stream_readers(doc: dict[str, Any]) -> list[str]:
    """Every event source mapping on a DynamoDB stream of the template as deployed (after SAM's
    transform, so a raw AWS::Lambda::EventSourceMapping counts too)."""
    out = sam_transform(doc)["Resources"]
    readers = []
    for lid, res in out.items():
        if res["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        source = res["Properties"].get("EventSourceArn")
        if isinstance(source, dict) and source.get("Fn::GetAtt", [None, None])[1] == "StreamArn":
            readers.append(lid)
    return readers


def test_no_more_than_two_readers_share_the_table_stream():
    readers = stream_readers(TEMPLATE)
    assert len(readers) <= MAX_STREAM_READERS, readers
    # the two: the code sender (a code is awaited) and the router every other consumer is behind
    assert {r.removesuffix("TableStream") for r in readers} == {"SendOtpFunction", "TableStreamRouterFunction"}


def queue_of(consumer: Any) -> str:
    """The queue the router sends ``consumer``'s changes to (its URL setting on the router)."""
    value = ROUTER.environment[consumer.queue_url_setting]
    assert value == {"Fn::GetAtt": [value["Fn::GetAtt"][0], "QueueUrl"]}, consumer.name
    return str(value["Fn::GetAtt"][0])


def sqs_consumer_of(queue: str) -> Any:
    found = [
        (fn, ev["Properties"])
        for fn in BY_ID.values()
        for ev in (fn.properties.get("Events") or {}).values()
        if ev.get("Type") == "SQS" and ev["Properties"]["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    assert len(found) == 1, f"{queue}: exactly one function consumes it"
    return found[0]


def queues_allowing(function: str, action: str) -> set[str]:
    arns = {str(RESOLVER.get_att(lid, "Arn")): lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::SQS::Queue"}
    return {lid for arn, lid in arns.items() if ROLES[function].allows(action, arn)}


def test_every_registered_consumer_has_each_step_of_the_recipe():
    for consumer in CONSUMERS:
        queue = queue_of(consumer)
        props = RESOURCES[queue]["Properties"]
        fn, event = sqs_consumer_of(queue)
        # a FIFO queue (per-item order, deduplication) with a FIFO dead-letter queue
        assert props["FifoQueue"] is True and props["QueueName"]["Fn::Sub"].endswith(".fifo"), queue
        dlq = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert RESOURCES[dlq]["Properties"]["FifoQueue"] is True and props["RedrivePolicy"]["maxReceiveCount"] >= 3
        assert RESOURCES[dlq]["Properties"]["MessageRetentionPeriod"] > props.get("MessageRetentionPeriod", 345600)
        # a message is not received again while its function may still be working on it
        assert props["VisibilityTimeout"] >= 6 * fn.properties["Timeout"], queue
        # the function reports failures per message, in batches a FIFO queue allows
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and event["BatchSize"] <= 10
        assert "MaximumBatchingWindowInSeconds" not in event  # not supported for FIFO queues
        # its handler reads the queued stream records
        assert "from khaya.streams.queued import process" in fn.module_path.read_text()
        # and it may poll its own queue and no other
        assert queues_allowing(fn.logical_id, "sqs:ReceiveMessage") == {queue}
        assert queues_allowing(fn.logical_id, "sqs:DeleteMessage") == {queue}


def test_the_router_may_send_to_its_consumers_queues_and_its_own_failure_queue_only():
    wanted = {queue_of(c) for c in CONSUMERS}
    failure = ROUTER.properties["Events"]["TableStream"]["Properties"]["DestinationConfig"]["OnFailure"]
    assert queues_allowing(ROUTER.logical_id, "sqs:SendMessage") == wanted | {failure["Destination"]["Fn::GetAtt"][0]}
    assert not queues_allowing(ROUTER.logical_id, "sqs:ReceiveMessage")
    assert not any(
        s.actions and any(a.startswith("dynamodb:") for a in s.actions) for s in ROLES[ROUTER.logical_id].statements
    )


def test_every_queue_consumer_of_a_table_change_queue_is_registered():
    registered = {queue_of(c) for c in CONSUMERS}
    behind_router = {
        ev["Properties"]["Queue"]["Fn::GetAtt"][0]
        for fn in BY_ID.values()
        for ev in (fn.properties.get("Events") or {}).values()
        if ev.get("Type") == "SQS"
    }
    assert behind_router == registered


def test_the_router_reads_the_stream_reliably():
    props = ROUTER.properties["Events"]["TableStream"]["Properties"]
    assert props["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and props["BisectBatchOnFunctionError"]
    assert props["MaximumRetryAttempts"] >= 1 and "FilterCriteria" not in props  # the registry filters, in one place
