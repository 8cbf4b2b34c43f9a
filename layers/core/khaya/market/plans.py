"""Plan limits, in one place: how many open jobs a client and live bids a worker may have.

``None`` means unlimited. A user's plan is the ``plan`` attribute of its user record
(``plan_of``); a user without one is on ``free``.

The counts live on ``USER#<id>`` / ``USAGE`` (``openJobs``, ``liveBids``) and change in the
same transaction as the job or bid write, under a ``< limit`` condition, so they stay exact
however many requests race:

* ``openJobs`` +1 when a job is posted; -1 when it leaves ``open`` (assigned or cancelled).
* ``liveBids`` +1 when a bid is placed; -1 when it leaves ``pending`` (accepted, rejected,
  withdrawn, or closed because its job was assigned to someone else or cancelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    open_jobs: int | None
    live_bids: int | None


PLANS: dict[str, Limits] = {
    "free": Limits(open_jobs=3, live_bids=5),
    "pro": Limits(open_jobs=20, live_bids=30),
    "elite": Limits(open_jobs=None, live_bids=None),
}


def limits_for(plan: str) -> Limits:
    return PLANS.get(plan, PLANS["free"])


def plan_of(user: dict[str, Any] | None) -> str:
    """The user's plan; absent (or no record) means ``free``."""
    return str((user or {}).get("plan") or "free")
