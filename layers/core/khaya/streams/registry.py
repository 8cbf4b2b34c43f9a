"""Which consumer wants which change of the table: the one place that says so.

Each entry is a consumer of the table's stream that reads it through its own FIFO queue:
its name (in deduplication ids and logs), the setting that holds its queue's URL (the
router's environment, ``!GetAtt <Queue>.QueueUrl`` in template.yaml) and the Lambda filter
patterns (``khaya.streams.patterns``) of the records it wants; a record matching any one
pattern is sent to it.

Adding a consumer (see README, "Table stream"): an entry here; its FIFO queue and dead-letter
queue in template.yaml; the queue's URL in the router's ``Environment`` and its ARN in the
router's ``sqs:SendMessage`` statement; the consumer function with an ``SQS`` event on the
queue, ``ReportBatchItemFailures`` and ``SQSPollerPolicy``; its handler wraps its record
processing in ``khaya.streams.queued.process``. The template tests check each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from khaya.streams.patterns import matches, validate

CHANGED = ["INSERT", "MODIFY"]


@dataclass(frozen=True)
class Consumer:
    name: str
    queue_url_setting: str
    patterns: tuple[dict[str, Any], ...]

    def __post_init__(self) -> None:
        if not self.patterns:
            raise ValueError(f"{self.name}: a consumer wants something")
        for pattern in self.patterns:
            validate(pattern)

    def wants(self, record: dict[str, Any]) -> bool:
        return any(matches(pattern, record) for pattern in self.patterns)


CONSUMERS: tuple[Consumer, ...] = (
    # NotifyFunction: notifications for jobs, bids and messages; closing bids of jobs that left open.
    Consumer(
        name="notify",
        queue_url_setting="NOTIFY_QUEUE_URL",
        patterns=(
            {"eventName": CHANGED, "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "JOB#"}, {"prefix": "CONV#"}]}}}},
        ),
    ),
    # AiEnrichFunction: a job's search vector and price suggestion, accepted prices.
    Consumer(
        name="ai-enrich",
        queue_url_setting="AI_ENRICH_QUEUE_URL",
        patterns=(
            {"eventName": CHANGED, "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "JOB#"}]}, "sk": {"S": ["META"]}}}},
        ),
    ),
    # StartPayoutsFunction: the transfer of each payout that becomes ready; the worker told of it.
    Consumer(
        name="start-payouts",
        queue_url_setting="START_PAYOUTS_QUEUE_URL",
        patterns=({"eventName": CHANGED, "dynamodb": {"Keys": {"sk": {"S": ["PAYOUT"]}}}},),
    ),
)


def consumers_for(record: dict[str, Any], consumers: tuple[Consumer, ...] = CONSUMERS) -> list[Consumer]:
    """The consumers that want ``record``, in registry order."""
    return [c for c in consumers if c.wants(record)]
