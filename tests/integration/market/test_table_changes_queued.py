"""The table's changes reach NotifyFunction as on AWS: the stream router reads the stream and
queues each change, the queue's event source mapping (the local poller) delivers it; a
message the function keeps failing is retried, then kept in the dead-letter queue."""

from __future__ import annotations

import boto3

from local.cfn import functions, load_template
from local.containers import Pools
from local.intrinsics import Resolver
from local.queues import QueuePoller, queue_sources
from local.streams import StreamPoller, stream_sources
from tests.integration.market.conftest import CLIENT, WORKER

RESOLVER = Resolver(load_template())


def pollers() -> tuple[StreamPoller, QueuePoller]:
    from khaya.config import settings

    fns = functions()
    pools = Pools(fns)
    router = [s for s in stream_sources(fns) if s.fn.logical_id == "TableStreamRouterFunction"]
    for source in router:
        source.starting_position = "TRIM_HORIZON"
    stream = StreamPoller(router, pools, {"Table": settings().table_name})
    return stream, QueuePoller(queue_sources(fns), pools, RESOLVER, retry_after=0)


def test_a_bid_notifies_the_client_through_the_router_and_the_notify_queue(market):
    # Given a job and a bid on it
    job = market.post_job()
    market.placed(job["id"], WORKER)
    stream, queues = pollers()
    # When the router reads the stream and the queue consumers run
    assert stream.poll_once() >= 1
    assert queues.poll_once() >= 1
    # Then the client has heard of the bid
    res = market.call("GET", "/v1/me/notifications", caller=CLIENT)
    assert [n["kind"] for n in res.json["items"]] == ["bid_received"]


def test_a_message_the_consumer_keeps_failing_is_retried_then_kept_in_the_dead_letter_queue(market):
    sqs = boto3.client("sqs")
    queue = str(RESOLVER.get_att("NotifyQueue", "QueueUrl"))
    dead = str(RESOLVER.get_att("NotifyFailureQueue", "QueueUrl"))
    max_receives = load_template()["Resources"]["NotifyQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    # Given a message NotifyFunction cannot handle (not a stream record)
    sqs.send_message(
        QueueUrl=queue, MessageBody="not a stream record", MessageGroupId="JOB#x", MessageDeduplicationId="x"
    )
    _, queues = pollers()
    # When the queue is polled until it is empty / Then the function got it maxReceiveCount times
    deliveries = sum(queues.poll_once() for _ in range(max_receives + 2))
    assert deliveries == max_receives
    # And it waits in the dead-letter queue, whole, for someone to look at it
    (kept,) = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10)["Messages"]
    assert kept["Body"] == "not a stream record"
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
