"""Read the table's stream (moto) and hand the records to one of its consumers.

stream = StreamPump()          # NotifyFunction; StreamPump("SendOtpFunction"), StreamPump("AiEnrichFunction")...;
                               # remembers where it got to, per shard
records = stream.records()     # the new records, shaped as Lambda sends them
stream.deliver()               # records() → the function's handler, returns its answer

A function that reads the stream itself (SendOtpFunction) gets the records as they are. A
consumer behind the stream router (an SQS event) gets what the router would queue for it:
the records its registry entry wants, each as one SQS message built by the router's own
``message()`` (``stream.messages`` holds the last batch, for its ``messageId``s).
"""

from __future__ import annotations

from typing import Any

from local.cfn import functions, load_template
from local.events import LambdaContext
from local.loader import load_handler
from local.streams import _lambda_shape


class StreamPump:
    def __init__(self, function_id: str = "NotifyFunction") -> None:
        import boto3

        from khaya.config import settings

        self._ddb = boto3.client("dynamodb")
        self._streams = boto3.client("dynamodbstreams")
        self._table = settings().table_name
        self._last_seq: dict[str, str] = {}  # shard → last sequence number read
        self.function_id = function_id
        fn = next(f for f in functions() if f.logical_id == function_id)
        self.handler = load_handler(fn)
        self.consumer = _registry_entry(fn)
        self.messages: list[dict[str, Any]] = []

    def records(self) -> list[dict[str, Any]]:
        arn = self._ddb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"]
        out: list[dict[str, Any]] = []
        for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"].get("Shards", []):
            sid = shard["ShardId"]
            # A fresh iterator every time: moto replaces a table's stream shard when a
            # transaction fails, so a kept iterator would read an orphaned copy.
            where: dict[str, str] = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._last_seq[sid]}
                if sid in self._last_seq
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = self._streams.get_shard_iterator(StreamArn=arn, ShardId=sid, **where)["ShardIterator"]
            while iterator:
                got = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                iterator = got.get("NextShardIterator")
                if not got.get("Records"):
                    break
                self._last_seq[sid] = got["Records"][-1]["dynamodb"]["SequenceNumber"]
                out.extend({**_lambda_shape(r), "eventSourceARN": arn} for r in got["Records"])
        return out

    def routed(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records this consumer gets: all of them for a stream reader, else what the
        router sends to its queue."""
        if self.consumer is None:
            return records
        return [r for r in records if self.consumer.wants(r)]

    def send(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        if self.consumer is None:
            event: dict[str, Any] = {"Records": records}
        else:
            self.messages = [_sqs_message(r, self.consumer) for r in self.routed(records)]
            event = {"Records": self.messages}
        result: dict[str, Any] = self.handler(event, LambdaContext(self.function_id))
        return result

    def deliver(self, rounds: int = 5) -> list[dict[str, Any]]:
        """Deliver until the stream is quiet (the consumer's own writes make new records)."""
        seen: list[dict[str, Any]] = []
        for _ in range(rounds):
            records = self.records()
            if not records:
                break
            result = self.send(records)
            assert result == {"batchItemFailures": []}, result
            seen.extend(records)
        return seen


def _registry_entry(fn: Any) -> Any:
    """The stream router's registry entry of a queue consumer (None for a stream reader)."""
    from khaya.streams.registry import CONSUMERS
    from local.intrinsics import Resolver

    events = (fn.properties.get("Events") or {}).values()
    queues = [e["Properties"]["Queue"]["Fn::GetAtt"][0] for e in events if e.get("Type") == "SQS"]
    if not queues:
        return None
    router = next(f for f in functions() if f.logical_id == "TableStreamRouterFunction")
    resolver = Resolver(load_template())
    url = resolver.get_att(queues[0], "QueueUrl")
    return next(c for c in CONSUMERS if resolver.resolve(router.environment[c.queue_url_setting]) == url)


def _sqs_message(record: dict[str, Any], consumer: Any) -> dict[str, Any]:
    """``record`` as the consumer's function receives it from its queue."""
    import uuid

    from khaya.streams.router import message

    entry = message(record, consumer)
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": uuid.uuid4().hex,
        "body": entry["MessageBody"],
        "attributes": {
            "ApproximateReceiveCount": "1",
            "MessageGroupId": entry["MessageGroupId"],
            "MessageDeduplicationId": entry["MessageDeduplicationId"],
        },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }
