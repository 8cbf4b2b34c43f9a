"""Run the table's stream consumers locally, from moto's DynamoDB Streams.

For every function with an ``Events`` entry of ``Type: DynamoDB`` on ``!GetAtt
<Table>.StreamArn``, a poller reads the stream (describe_stream / get_shard_iterator /
get_records, picking up new shards) and invokes the function with the event Lambda's
event source mapping sends: ``Records`` with ``eventID``, ``eventName``, ``dynamodb``
(``Keys``, ``NewImage``, ``OldImage``, ``SequenceNumber``...) and ``eventSourceARN``.

``BatchSize``, ``StartingPosition``, ``MaximumRetryAttempts`` and ``FunctionResponseTypes:
[ReportBatchItemFailures]`` come from the template. A failed batch is retried (from the
first reported failure when the function reports item failures), at most
``MaximumRetryAttempts`` times (3 when the template leaves it unbounded), then dropped
with a log line, as Lambda does after its retries run out.
"""

from __future__ import annotations

import base64
import sys
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local.cfn import FunctionDef
from local.containers import Pools
from local.polling import Poller

LOCAL_MAX_RETRIES = 3


@dataclass
class StreamSource:
    fn: FunctionDef
    table_logical_id: str
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    max_retries: int = LOCAL_MAX_RETRIES
    report_item_failures: bool = False


def stream_sources(fns: list[FunctionDef]) -> list[StreamSource]:
    out: list[StreamSource] = []
    for fn in fns:
        for ev in (fn.properties.get("Events") or {}).values():
            if ev.get("Type") != "DynamoDB":
                continue
            p = ev.get("Properties") or {}
            stream = p.get("Stream")
            target = stream.get("Fn::GetAtt", [None])[0] if isinstance(stream, dict) else None
            if not target:
                continue
            retries = p.get("MaximumRetryAttempts", -1)
            out.append(
                StreamSource(
                    fn=fn,
                    table_logical_id=str(target),
                    batch_size=int(p.get("BatchSize", 100)),
                    starting_position=str(p.get("StartingPosition", "TRIM_HORIZON")),
                    max_retries=LOCAL_MAX_RETRIES if not isinstance(retries, int) or retries < 0 else retries,
                    report_item_failures="ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or []),
                )
            )
    return out


def _lambda_shape(value: Any) -> Any:
    """boto3 parsed the record (bytes, datetimes); Lambda sends JSON (base64, epoch seconds)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {k: _lambda_shape(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_lambda_shape(v) for v in value]
    return value


@dataclass
class _Shard:
    iterator: str | None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    last_seq: str | None = None  # of the last record read from the shard


class StreamPoller(Poller):
    """One thread polling every stream source; ``poll_once`` is the unit tests' handle."""

    def __init__(
        self,
        sources: list[StreamSource],
        pools: Pools,
        table_names: dict[str, str],
        *,
        endpoint_url: str | None = None,
        region: str = "af-south-1",
        interval: float = 0.5,
        skip_existing: bool = False,
    ) -> None:
        """``skip_existing``: start every consumer after the records already in the stream
        (the demo data set), instead of at the template's ``StartingPosition``."""
        super().__init__()
        self.name = "stream-poller"
        self.sources = sources
        self.skip_existing = skip_existing
        self.pools = pools
        self.table_names = table_names
        self.interval = interval
        self._kw: dict[str, Any] = {"region_name": region}
        if endpoint_url:
            self._kw["endpoint_url"] = endpoint_url
        self._shards: dict[tuple[str, str], _Shard] = {}  # (function id, shard id) → state
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(service, **self._kw)  # type: ignore[call-overload]
        return self._clients[service]

    # ------------------------------------------------------------------ polling
    def poll_once(self) -> int:
        """Read each stream once and deliver what is there; return how many batches were invoked."""
        invoked = 0
        for src in self.sources:
            table = self.table_names[src.table_logical_id]
            arn = self._client("dynamodb").describe_table(TableName=table)["Table"].get("LatestStreamArn")
            if not arn:
                continue
            streams = self._client("dynamodbstreams")
            shards = streams.describe_stream(StreamArn=arn)["StreamDescription"].get("Shards", [])
            for shard in shards:
                key = (src.fn.logical_id, shard["ShardId"])
                state = self._shards.get(key)
                if state is None:
                    # The first shards seen at start-up follow StartingPosition; later ones start at the beginning.
                    first_round = not any(k[0] == src.fn.logical_id for k in self._shards)
                    kind = src.starting_position if first_round else "TRIM_HORIZON"
                    if first_round and self.skip_existing:
                        kind = "LATEST"
                    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=kind)
                    state = self._shards[key] = _Shard(it["ShardIterator"])
                elif state.last_seq:
                    # A fresh iterator each poll: moto swaps a table's stream shard for a copy when a
                    # transaction fails (it restores the whole table), and an old iterator keeps
                    # reading the orphaned shard, so every later record would be missed.
                    state.iterator = streams.get_shard_iterator(
                        StreamArn=arn,
                        ShardId=shard["ShardId"],
                        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                        SequenceNumber=state.last_seq,
                    )["ShardIterator"]
                invoked += self._drain(src, arn, state)
        return invoked

    def _drain(self, src: StreamSource, arn: str, state: _Shard) -> int:
        invoked = 0
        while True:
            if len(state.buffer) < src.batch_size and state.iterator:
                got = self._client("dynamodbstreams").get_records(
                    ShardIterator=state.iterator, Limit=src.batch_size - len(state.buffer)
                )
                state.iterator = got.get("NextShardIterator")
                state.buffer.extend(_lambda_shape(r) for r in got.get("Records", []))
                if got.get("Records"):
                    state.last_seq = got["Records"][-1]["dynamodb"]["SequenceNumber"]
            if not state.buffer:
                return invoked
            batch = state.buffer[: src.batch_size]
            invoked += 1
            failed_from = self._invoke(src, arn, batch)
            if failed_from is None:
                del state.buffer[: len(batch)]
                state.attempts = 0
                continue
            state.attempts += 1
            if state.attempts > src.max_retries:
                print(
                    f"stream {src.fn.logical_id}: dropping {len(batch) - failed_from} record(s) "
                    f"after {src.max_retries} retries",
                    file=sys.stderr,
                    flush=True,
                )
                del state.buffer[: len(batch)]
                state.attempts = 0
                continue
            del state.buffer[:failed_from]  # retry from the first failure, as Lambda checkpoints
            return invoked  # try again on the next poll

    def _invoke(self, src: StreamSource, arn: str, batch: list[dict[str, Any]]) -> int | None:
        """Deliver one batch; ``None`` on success, else the index of the first record to retry."""
        records = [{**r, "eventSourceARN": arn} for r in batch]
        try:
            result = self.pools[src.fn.logical_id].invoke({"Records": records})
        except Exception:
            print(
                f"stream {src.fn.logical_id}: " + traceback.format_exc(limit=5),
                file=sys.stderr,
                flush=True,
            )
            return 0
        if not src.report_item_failures or not isinstance(result, dict):
            return None
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None
        seqs = [r["dynamodb"]["SequenceNumber"] for r in batch]
        indexes = []
        for f in failures:
            ident = f.get("itemIdentifier") if isinstance(f, dict) else None
            if ident not in seqs:
                return 0  # an unknown or empty identifier fails the whole batch, as on Lambda
            indexes.append(seqs.index(ident))
        return min(indexes)
