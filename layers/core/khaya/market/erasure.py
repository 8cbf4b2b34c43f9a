"""Erasing an account (``DELETE /v1/me``): everything live the user owned ends with it.

Identity erases personal data (``khaya.identity.me.erase_account``) but may not know the
marketplace, so the orchestration lives here, one domain above, and runs in this order:

1. **Refuse first.** A job with money held (the user's own job ``funded``; or, as its worker,
   ``funded`` or ``completed`` with the payout still to come) → 409 ``money_held``, and
   nothing has changed.
2. **Remove what the user wrote** (``khaya.market.redaction``): its conversations close, the
   text of its jobs, bids and messages is replaced and its attachments deleted, notifications
   quoting it are reworded. First, so the cancellations below already carry the neutral text.
   **End what is live.** The user's pending bids are withdrawn; its open and assigned jobs
   are cancelled (an assigned job has no money yet, and without its client it can never be
   paid: cancelling tells the worker at once instead of leaving it waiting); a job assigned
   to the user as worker is cancelled too (its client is told, and may post it again).
   Then the worker profile, the portfolio items and every upload under the user's prefixes
   (``portfolio/<id>/``, ``users/<id>/``) are deleted.
3. **Erase identity, guarded.** One transaction: identity's erasure plus a condition that the
   user holds no live bid and no open job (the exact counters of ``khaya.market.plans``). A
   bid or job that raced in, or that the index had not shown yet, fails the condition: step
   2 runs again.

Every step is idempotent and the account is erased only in the last one. If anything fails
half-way (a timeout, S3 down), the caller gets the error with its account still whole and able
to sign in, only with less of it live; ``DELETE /v1/me`` again picks up where it stopped and
finishes. There is never an erased account with something still live.
"""

from __future__ import annotations

import contextlib
from typing import Any

from khaya import db
from khaya.errors import Conflict
from khaya.market import keys, redaction
from khaya.observability import logger, metric

ROUNDS = 3
_PAGES = 50
LIVE_JOBS = ("open", "assigned", "funded", "completed")
LIVE_BIDS = ("pending", "accepted")


class MoneyHeld(Conflict):
    code = "money_held"
    default_message = "A job of yours holds money; the account can be erased once it is settled."


class _StillLive(Conflict):
    """The guard of step 3: a live bid or open job appeared meanwhile."""


def _all_of(user_id: str, prefix: str, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    """The user's jobs or bids (``prefix``) in ``statuses``, from its index partition."""
    placeholders = {f":s{i}": s for i, s in enumerate(statuses)}
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(_PAGES):
        page = db.query(
            keys.user_pk(user_id),
            index=keys.USER_INDEX,
            sk_prefix=prefix,
            filter=f"#s IN ({', '.join(placeholders)})",
            names={"#s": "status"},
            values=placeholders,
            limit=100,
            cursor=cursor,
            scope=f"erase:{prefix}{user_id}",
        )
        found.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    return found


def _live(user_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(own jobs, pending bids, jobs assigned to the user as worker), each read from the table."""
    from khaya.market import jobs

    own = [jobs.load(str(j["id"])) for j in _all_of(user_id, keys.JOB_PREFIX, LIVE_JOBS)]
    bids = [db.get(b["pk"], b["sk"], consistent=True) for b in _all_of(user_id, keys.BID_PREFIX, LIVE_BIDS)]
    pending = [b for b in bids if b and b.get("status") == "pending"]
    won = [jobs.load(str(b["jobId"])) for b in bids if b and b.get("status") == "accepted"]
    return own, pending, [j for j in won if j.get("workerId") == user_id]


def _refuse_if_money_held(user_id: str, own: list[dict[str, Any]], won: list[dict[str, Any]]) -> None:
    held = [j for j in own if j["status"] == "funded"] + [j for j in won if j["status"] in ("funded", "completed")]
    if held:
        raise MoneyHeld(details=[{"field": "jobId", "issue": "money_held", "jobId": str(j["id"])} for j in held])


Items = list[dict[str, Any]]


def _end_live(user_id: str, own: Items, pending: Items, won: Items) -> None:
    from khaya.market import bids, jobs

    for bid in pending:
        with contextlib.suppress(Conflict):  # it moved meanwhile: the next round sees where to
            bids.withdraw_bid(user_id, str(bid["id"]))
    for job in own:
        if job["status"] in ("open", "assigned"):
            try:
                jobs.cancel_job(user_id, str(job["id"]))
            except jobs.RefundRequired:
                raise MoneyHeld() from None  # paid for a moment ago
            except Conflict:
                pass  # cancelled meanwhile: the next round sees where it is
    for job in won:
        if job["status"] == "assigned":
            jobs.cancel_for_missing_worker(str(job["id"]), user_id)


def _delete_worker_things(user_id: str) -> None:
    from khaya import media

    pk = keys.user_pk(user_id)
    portfolio = db.query(pk, sk_prefix="PORTFOLIO#", limit=100, consistent=True, scope=f"erase:portfolio:{user_id}")
    for item in [{"pk": pk, "sk": keys.WORKER}, *portfolio.items]:
        db.delete(item["pk"], item["sk"])
    with contextlib.suppress(Conflict):
        db.update(pk, keys.USAGE, set={"portfolioItems": 0}, condition="attribute_exists(pk)", on_fail=Conflict())
    for prefix in (f"portfolio/{user_id}/", f"users/{user_id}/"):
        media.delete_prefix(prefix)


def _nothing_live(user_id: str) -> db.TxAction:
    return db.tx_check(
        keys.user_pk(user_id),
        keys.USAGE,
        condition="(attribute_not_exists(liveBids) OR liveBids <= :zero) "
        "AND (attribute_not_exists(openJobs) OR openJobs <= :zero)",
        values={":zero": 0},
        on_fail=_StillLive(),
    )


def erase_account(user_id: str, *, also: list[db.TxAction] | None = None) -> None:
    """``DELETE /v1/me``: see the module doc. 404 for an account already erased, 409
    ``money_held`` while a job holds money. ``also``: what a domain above erases with the
    account, in the same last transaction (the payments domain's payout account)."""
    from khaya.identity import me

    me.get_profile(user_id)  # 404 once erased
    for _ in range(ROUNDS):
        own, pending, won = _live(user_id)
        _refuse_if_money_held(user_id, own, won)
        redaction.erase_what_the_user_wrote(user_id)
        _end_live(user_id, own, pending, won)
        _delete_worker_things(user_id)
        try:
            me.erase_account(user_id, also=[_nothing_live(user_id), *(also or [])])
        except _StillLive:
            continue
        metric("AccountChange", change="erased_with_marketplace")
        return
    logger.warning("erasure: live items kept appearing", extra={"userId": user_id})
    raise Conflict("The account kept changing while it was erased; try again.", code="account_busy")
