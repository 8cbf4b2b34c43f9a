"""Run the SQS-triggered functions locally, from the queues on moto, as Lambda's event source
mapping does.

For every function with an ``Events`` entry of ``Type: SQS`` on ``!GetAtt <Queue>.Arn``, a
poller receives up to ``BatchSize`` messages (``ReceiveMessage``, short polls: moto's server
answers one request at a time) and invokes the function with the event Lambda sends:
``Records`` of ``messageId``, ``receiptHandle``, ``body``, ``attributes``
(``MessageGroupId``, ``ApproximateReceiveCount``...), ``eventSource: aws:sqs`` and
``eventSourceARN``. Then, as Lambda does:

* a batch that succeeds is deleted;
* with ``FunctionResponseTypes: [ReportBatchItemFailures]`` the messages the function names
  in ``batchItemFailures`` stay and the others are deleted; an identifier that names no
  message of the batch, or an error, fails the whole batch;
* a failed message is received again later, and after the queue's ``maxReceiveCount``
  receives moto moves it to the dead-letter queue of its ``RedrivePolicy``.

One difference, for a usable local stage: a failed message is visible again after
``retry_after`` seconds (1 s for ``make run``), not after the queue's ``VisibilityTimeout``
(minutes), so a retry shows at once. These receive/delete calls are the event source
mapping's, made outside any invocation, so they are not attributed to the function
(``local.aws_calls``).
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from typing import Any

from local.cfn import FunctionDef
from local.containers import Pools
from local.intrinsics import Resolver
from local.polling import Poller

MAX_BATCHES_PER_POLL = 50


@dataclass
class QueueSource:
    fn: FunctionDef
    queue_logical_id: str
    batch_size: int = 10
    report_item_failures: bool = False


def queue_sources(fns: list[FunctionDef]) -> list[QueueSource]:
    out: list[QueueSource] = []
    for fn in fns:
        for ev in (fn.properties.get("Events") or {}).values():
            if ev.get("Type") != "SQS":
                continue
            p = ev.get("Properties") or {}
            queue = p.get("Queue")
            target = queue.get("Fn::GetAtt", [None])[0] if isinstance(queue, dict) else None
            if not target:
                continue
            out.append(
                QueueSource(
                    fn=fn,
                    queue_logical_id=str(target),
                    batch_size=int(p.get("BatchSize", 10)),
                    report_item_failures="ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or []),
                )
            )
    return out


class QueuePoller(Poller):
    """One thread polling every queue source; ``poll_once`` is the tests' handle."""

    def __init__(
        self,
        sources: list[QueueSource],
        pools: Pools,
        resolver: Resolver,
        *,
        endpoint_url: str | None = None,
        region: str = "af-south-1",
        interval: float = 0.5,
        retry_after: int = 1,
    ) -> None:
        super().__init__()
        self.name = "queue-poller"
        self.sources = sources
        self.pools = pools
        self.interval = interval
        self.retry_after = retry_after
        self._urls = {s.queue_logical_id: str(resolver.get_att(s.queue_logical_id, "QueueUrl")) for s in sources}
        self._arns = {s.queue_logical_id: str(resolver.get_att(s.queue_logical_id, "Arn")) for s in sources}
        self._region = region
        self._kw: dict[str, Any] = {"region_name": region}
        if endpoint_url:
            self._kw["endpoint_url"] = endpoint_url
        self._sqs: Any = None

    def _client(self) -> Any:
        if self._sqs is None:
            import boto3

            self._sqs = boto3.client("sqs", **self._kw)
        return self._sqs

    # ------------------------------------------------------------------ polling
    def poll_once(self) -> int:
        """Receive and deliver what each queue holds now; return how many batches were invoked."""
        invoked = 0
        for src in self.sources:
            for _ in range(MAX_BATCHES_PER_POLL):
                got = self._client().receive_message(
                    QueueUrl=self._urls[src.queue_logical_id],
                    MaxNumberOfMessages=src.batch_size,
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    WaitTimeSeconds=0,
                )
                messages = got.get("Messages") or []
                if not messages:
                    break
                invoked += 1
                if self._deliver(src, messages):
                    break  # a failure: its group waits until the message is visible again
        return invoked

    def _deliver(self, src: QueueSource, messages: list[dict[str, Any]]) -> bool:
        """Invoke the function with one batch, delete what succeeded; whether anything failed."""
        failed = self._invoke(src, messages)
        url = self._urls[src.queue_logical_id]
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        sqs = self._client()
        for start in range(0, len(done), 10):
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done[start : start + 10])
                ],
            )
        for start in range(0, len(retry), 10):
            sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.retry_after}
                    for n, m in enumerate(retry[start : start + 10])
                ],
            )
        return bool(retry)

    def _event(self, src: QueueSource, messages: list[dict[str, Any]]) -> dict[str, Any]:
        arn = self._arns[src.queue_logical_id]
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": dict(m.get("Attributes") or {}),
                    "messageAttributes": dict(m.get("MessageAttributes") or {}),
                    "md5OfBody": m.get("MD5OfBody", ""),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": self._region,
                }
                for m in messages
            ]
        }

    def _invoke(self, src: QueueSource, messages: list[dict[str, Any]]) -> set[str]:
        """The ids of the messages that failed."""
        every = {m["MessageId"] for m in messages}
        try:
            result = self.pools[src.fn.logical_id].invoke(self._event(src, messages))
        except Exception:
            print(f"queue {src.fn.logical_id}: " + traceback.format_exc(limit=5), file=sys.stderr, flush=True)
            return every
        if not src.report_item_failures or not isinstance(result, dict):
            return set()
        named = {
            f.get("itemIdentifier") if isinstance(f, dict) else None for f in result.get("batchItemFailures") or []
        }
        if not named <= every:
            return every  # an unknown or empty identifier fails the whole batch, as on Lambda
        return {str(n) for n in named}
