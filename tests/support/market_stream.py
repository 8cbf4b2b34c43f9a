"""Read the table's stream (moto) and hand the records to one of its consumers.

stream = StreamPump()          # NotifyFunction; StreamPump("SendOtpFunction"), StreamPump("AiEnrichFunction")...;
                               # remembers where it got to, per shard
records = stream.records()     # the new records, shaped as Lambda sends them
stream.deliver()               # records() → the function's handler, returns its answer
"""

from __future__ import annotations

from typing import Any

from local.cfn import functions
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
        self.handler = load_handler(next(f for f in functions() if f.logical_id == function_id))

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

    def send(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = self.handler({"Records": records}, LambdaContext(self.function_id))
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
