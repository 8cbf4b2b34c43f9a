"""Exactly-once effects: a delivery's dedupe record is written in the same transaction as its effect.

``run(build, seen_keys)`` reads the state, asks ``build()`` for the effect (the actions that move
the state forward, with conditions on the state it read), and writes them together with one
``EVT#<provider>#<key>`` item per dedupe key, each put only if absent. So:

* a crash between "effect" and "remember it" cannot happen: they are one transaction;
* a repeat (however many arrive at once) fails on its dedupe put and has no effect: ``duplicate``;
* an event whose effect no longer applies (a late or out-of-order one) writes nothing:
  ``build`` sees the state has moved on and says ``ignored``; state only moves forward;
* a race lost on the state (``db.Retry``, a transaction conflict) is rebuilt from fresh reads.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Literal

from khaya import db
from khaya.db.table import CONCURRENT_CHANGE
from khaya.errors import Conflict, ServiceUnavailable
from khaya.ids import epoch, now_iso
from khaya.payments import keys

Outcome = Literal["applied", "duplicate", "ignored", "flagged"]
Effect = tuple[Outcome, list[db.TxAction]]
SeenKey = tuple[str, str]  # (provider, key)

TTL_DAYS = 90
ATTEMPTS = 6


class Duplicate(Conflict):
    code = "duplicate_event"
    default_message = "This delivery was processed before."


def seen(seen_keys: list[SeenKey]) -> bool:
    """Whether any of these deliveries was recorded (the fast path for a repeat)."""
    return any(db.get(*keys.event_seen(p, k), consistent=True) is not None for p, k in seen_keys)


def record_actions(seen_keys: list[SeenKey], what: str) -> list[db.TxAction]:
    at, ttl = now_iso(), epoch() + TTL_DAYS * 86400
    return [
        db.tx_put(
            {
                **keys.event_seen(provider, key).item(),
                "type": "webhookEvent",
                "provider": provider,
                "key": key,
                "effect": what,
                "receivedAt": at,
                "ttl": ttl,
            },
            condition="attribute_not_exists(pk)",
            on_fail=Duplicate(),
        )
        for provider, key in seen_keys
    ]


def run(build: Callable[[], Effect], seen_keys: list[SeenKey], *, attempts: int = ATTEMPTS) -> Outcome:
    if seen_keys and seen(seen_keys):
        return "duplicate"
    for attempt in range(attempts):
        outcome, actions = build()
        if not actions:
            return outcome
        try:
            db.transact([*record_actions(seen_keys, outcome), *actions], token=uuid.uuid4().hex)
            return outcome
        except Duplicate:
            return "duplicate"
        except Conflict as exc:
            if exc.code != CONCURRENT_CHANGE:
                raise
        time.sleep(random.uniform(0.005, 0.03 * 2**attempt))
    # Still losing races: the provider will deliver again later, and we will read afresh.
    raise ServiceUnavailable("Busy with concurrent changes; deliver again.", retry_after=2)
