"""Exactly once by the dedupe record itself: effects here carry no condition of their own, so
only the record's put can stop a repeat (the payment effects also check the state they read)."""

from __future__ import annotations

from khaya import db
from khaya.ids import epoch
from khaya.payments import dedupe, keys

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


def test_a_delivery_is_remembered_for_ninety_days_past_every_provider_retry(aws):
    before = epoch()
    assert dedupe.run(_count_once, SEEN) == "applied"
    after = epoch()
    record = db.get(*keys.event_seen(*SEEN[0]), consistent=True)
    assert record is not None and record["effect"] == "applied"
    # Paystack retries for 72 hours and Stripe for 3 days: the record outlives both by far
    assert before + 90 * 86400 <= int(record["ttl"]) <= after + 90 * 86400
    assert dedupe.run(_count_once, SEEN) == "duplicate" and _times() == 1
