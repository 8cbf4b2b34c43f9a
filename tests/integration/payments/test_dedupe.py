"""dedupe.run with effects of the tests' own (a counter), so only dedupe decides: a repeat that
slipped past the quick check, the record an operator reads, an effect refused for good, and a
delivery that keeps losing races (the payment effects' own state conditions are tested elsewhere)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest

from khaya import db
from khaya.errors import Conflict, ServiceUnavailable
from khaya.ids import epoch
from khaya.payments import dedupe, keys
from local.cfn import load_template

SEEN = [("paystack", "charge.success#kh-dedupe-1")]
COUNTER = ("TEST#dedupe", "COUNTER")


def _count_once() -> dedupe.Effect:
    return "applied", [db.tx_update(*COUNTER, add={"times": 1})]


def _times() -> int:
    item = db.get(*COUNTER, consistent=True)
    return int(item["times"]) if item else 0


def test_a_repeat_that_passed_the_quick_check_still_has_no_effect(aws):
    others: list[str] = []

    def racing() -> dedupe.Effect:
        # Another container takes the same delivery after this one's check, before its write.
        if not others:
            others.append(dedupe.run(_count_once, SEEN))
        return _count_once()

    assert dedupe.run(racing, SEEN) == "duplicate"
    assert others == ["applied"]
    assert _times() == 1


def _table_ttl_attribute() -> str:
    spec = load_template()["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"]
    return str(spec["AttributeName"])


def test_a_delivery_is_remembered_for_ninety_days_past_every_provider_retry(aws):
    before, started = epoch(), datetime.now(UTC).replace(microsecond=0)
    assert dedupe.run(_count_once, SEEN) == "applied"
    after = epoch()
    record = db.get(*keys.event_seen(*SEEN[0]), consistent=True)
    assert record is not None
    # What an operator finds for a delivery: which one, what it did, when
    provider, key = SEEN[0]
    assert {k: record[k] for k in ("type", "provider", "key", "effect")} == {
        "type": "webhookEvent",
        "provider": provider,
        "key": key,
        "effect": "applied",
    }
    assert started <= datetime.fromisoformat(record["receivedAt"].replace("Z", "+00:00")) <= datetime.now(UTC)
    # Paystack retries for 72 hours and Stripe for 3 days: the table expires the record long after both
    expires = int(record[_table_ttl_attribute()])
    assert before + 90 * 86400 <= expires <= after + 90 * 86400
    assert dedupe.run(_count_once, SEEN) == "duplicate" and _times() == 1


def _never_applies(on_fail: Conflict) -> dedupe.Effect:
    return "applied", [db.tx_update(*COUNTER, add={"times": 1}, condition="attribute_exists(never)", on_fail=on_fail)]


def test_an_effect_refused_for_good_is_not_tried_again_and_leaves_no_record(aws):
    built: list[int] = []

    def refused() -> dedupe.Effect:
        built.append(1)
        return _never_applies(Conflict("The job is not open for this.", code="job_not_open"))

    with pytest.raises(Conflict) as caught:
        dedupe.run(refused, SEEN)
    assert caught.value.code == "job_not_open" and len(built) == 1
    assert db.get(*keys.event_seen(*SEEN[0]), consistent=True) is None and _times() == 0


def test_a_delivery_that_keeps_losing_races_is_a_503_to_deliver_again_after_backing_off(aws, monkeypatch):
    tokens: list[str | None] = []
    transact = db.transact

    def recorded(actions: list[db.TxAction], token: str | None = None) -> None:
        tokens.append(token)
        transact(actions, token=token)

    waits: list[tuple[float, float]] = []
    monkeypatch.setattr(db, "transact", recorded)
    monkeypatch.setattr(random, "uniform", lambda low, high: waits.append((low, high)) or 0.0)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    with pytest.raises(ServiceUnavailable) as caught:
        dedupe.run(lambda: _never_applies(db.Retry()), SEEN)
    assert caught.value.status == 503 and caught.value.headers["Retry-After"] == "2"
    assert caught.value.message == "Busy with concurrent changes; deliver again."
    # Each attempt rebuilt from fresh reads, with a wait that doubles (at most 30, 60, ... 960 ms)
    assert waits == [(0.005, 0.03 * 2**attempt) for attempt in range(dedupe.ATTEMPTS)]
    # ... and its own idempotency token: botocore resends a transaction whose answer was lost, and
    # DynamoDB applies one token's transaction once
    assert len(tokens) == dedupe.ATTEMPTS and len({t for t in tokens if t}) == dedupe.ATTEMPTS
    assert db.get(*keys.event_seen(*SEEN[0]), consistent=True) is None and _times() == 0
