"""Bids: place, list, read, accept, reject, withdraw; a worker's own bids.

* One live bid per worker per job: the bid lives at ``JOB#<jobId>`` / ``BID#<workerId>`` and
  is put only if absent (or withdrawn, which lets a worker bid again). Its id is
  ``<jobId>.<workerId>``, so reading it by id is one GetItem.
* Bidding is one transaction: the bid, a check that the job is still open, and the
  worker's live-bid counter under the plan's limit.
* Accepting is one transaction: the job ``open → assigned`` (conditional on status and
  version) with the accepted bid, amount and worker recorded, the bid ``pending →
  accepted``, the client's open-job slot and the workers' live-bid slots given back, and up
  to ``IN_TX_BID_CLOSES`` other pending bids ``rejected``. However many accepts race, only
  one job update can match the version it read: exactly one wins, the rest get 409. Pending
  bids beyond that many (or one that raced in) are rejected right after by the stream
  consumer when it sees the job leave ``open``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from khaya import db
from khaya.api import ApiModel, Page
from khaya.errors import BusinessRule, Conflict, Forbidden, NotFound
from khaya.http import Caller
from khaya.ids import now_iso
from khaya.market import jobs as job_service
from khaya.market import keys
from khaya.money import Money, require_currency, require_positive

BidStatus = Literal["pending", "accepted", "rejected", "withdrawn"]


class Bid(ApiModel):
    id: str
    job_id: str
    job_title: str
    worker_id: str
    client_id: str
    amount: Money
    message: str
    eta_days: int = Field(ge=0)
    status: BidStatus
    closed_reason: str | None = None
    created_at: str
    updated_at: str


BidPage = Page[Bid]


def not_found() -> NotFound:
    return NotFound("No bid with this id.", code="bid_not_found")


def not_pending(status: str) -> Conflict:
    return Conflict(f"The bid is {status}, not pending.", code="bid_not_pending")


def _load(bid_id: str) -> dict[str, Any]:
    parts = keys.split_bid_id(bid_id)
    if parts is None or any("#" in p for p in parts):
        raise not_found()
    item = db.get(*keys.bid(*parts), consistent=True)
    if item is None:
        raise not_found()
    return item


def _visible(bid: dict[str, Any], who: Caller) -> bool:
    return who.is_admin or who.user_id in (bid["workerId"], bid["clientId"])


# ---------------------------------------------------------------- place


def create_bid(worker_id: str, job_id: str, data: dict[str, Any]) -> Bid:
    from khaya.identity.accounts import get_user
    from khaya.market.plans import limits_for, plan_of

    require_positive(data["amount"], "amount")
    job = job_service.load(job_id)
    if job["clientId"] == worker_id:
        raise BusinessRule("You cannot bid on your own job.", code="own_job")
    if job["status"] != "open":
        raise job_service.not_open(job["status"])
    amount = dict(data["amount"])
    currency = job_service.job_currency(job)
    if currency is not None:
        require_currency(amount, currency, "amount")
    limit = limits_for(plan_of(get_user(worker_id))).live_bids
    now = now_iso()
    bid = {
        "id": keys.bid_id(job_id, worker_id),
        "jobId": job_id,
        "jobTitle": job["title"],
        "workerId": worker_id,
        "clientId": job["clientId"],
        "amount": amount,
        "message": data["message"],
        "etaDays": data["etaDays"],
        "status": "pending",
        "createdAt": now,
        "updatedAt": now,
    }
    item = {
        **keys.bid(job_id, worker_id).item(),
        **keys.user_bid_index(worker_id, now, job_id).item(),
        "type": "bid",
        "version": 1,
        **bid,
    }
    actions = [
        db.tx_check(
            *keys.job(job_id),
            condition="#s = :open",
            names={"#s": "status"},
            values={":open": "open"},
            on_fail=Conflict("The job is no longer open.", code="job_not_open"),
        ),
        db.tx_put(
            item,
            condition="attribute_not_exists(pk) OR #s = :withdrawn",
            names={"#s": "status"},
            values={":withdrawn": "withdrawn"},
            on_fail=Conflict("You already have a bid on this job.", code="duplicate_bid"),
        ),
        db.tx_increment(
            keys.user_pk(worker_id),
            keys.USAGE,
            "liveBids",
            limit=limit,
            on_limit=job_service.plan_limit("live bids", limit) if limit is not None else None,
        ),
    ]
    db.transact_retrying(lambda: actions)
    return Bid.from_item(bid)


# ---------------------------------------------------------------- read


def get_bid(who: Caller, bid_id: str) -> Bid:
    bid = _load(bid_id)
    if not _visible(bid, who):
        raise not_found()
    return Bid.from_item(bid)


def list_job_bids(who: Caller, job_id: str, *, limit: int = 20, cursor: str | None) -> BidPage:
    """The owner (or an admin) sees every bid; a worker sees only its own (0 or 1)."""
    job = job_service.load(job_id, consistent=False)
    if who.is_admin or job["clientId"] == who.user_id:
        page = db.query(
            keys.job_pk(job_id),
            sk_prefix=keys.BID_PREFIX,
            forward=True,
            limit=limit,
            cursor=cursor,
            scope=f"jobbids:{job_id}",
        )
        return BidPage.of(page)
    if who.role == "worker":
        own = db.get(*keys.bid(job_id, who.user_id))
        return BidPage.from_item({"items": [own] if own else [], "next_cursor": None})
    raise Forbidden("Only the job's owner sees its bids.", code="not_job_owner")


def list_my_bids(worker_id: str, *, limit: int = 20, cursor: str | None) -> BidPage:
    page = db.query(
        keys.user_pk(worker_id),
        index=keys.USER_INDEX,
        sk_prefix=keys.BID_PREFIX,
        limit=limit,
        cursor=cursor,
        scope=f"mybids:{worker_id}",
    )
    return BidPage.of(page)


# ---------------------------------------------------------------- decide


def _bid_update(bid: dict[str, Any], status: str, on_fail: Conflict, now: str, **extra: Any) -> db.TxAction:
    """``bid`` (pending, as read) → ``status``; only that bid: one withdrawn and placed again
    since (pending once more, at a new amount) has a new ``createdAt`` and fails the condition."""
    return db.tx_update(
        bid["pk"],
        bid["sk"],
        set={"status": status, "updatedAt": now, **extra},
        add={"version": 1},
        condition="#s = :pending AND createdAt = :created",
        names={"#s": "status"},
        values={":pending": "pending", ":created": bid["createdAt"]},
        on_fail=on_fail,
    )


def accept_bid(client_id: str, bid_id: str) -> Bid:
    result: dict[str, Any] = {}

    def build() -> list[db.TxAction]:
        bid = _load(bid_id)
        if bid["clientId"] != client_id:
            raise not_found()
        job = job_service.load(bid["jobId"])
        if job["status"] != "open":
            raise job_service.not_open(job["status"])
        if bid["status"] != "pending":
            raise not_pending(bid["status"])
        others = [
            b for b in job_service.pending_bids(bid["jobId"], job_service.IN_TX_BID_CLOSES + 1) if b["id"] != bid_id
        ]
        _, actions = job_service.transition(
            job,
            "assigned",
            set={
                "acceptedBidId": bid_id,
                "acceptedAmount": bid["amount"],
                "workerId": bid["workerId"],
                "assignedAt": now_iso(),
            },
            on_conflict=Conflict("The job is no longer open, or another bid was accepted.", code="job_not_open"),
        )
        now = now_iso()
        actions += [
            job_service.usage_add(client_id, "openJobs", -1),
            _bid_update(bid, "accepted", db.Retry(), now),
            job_service.usage_add(bid["workerId"], "liveBids", -1),
            *job_service.close_bids_actions(others, "another_bid_accepted"),
        ]
        result["bid"] = {**bid, "status": "accepted", "updatedAt": now}
        return actions

    db.transact_retrying(build)
    return Bid.from_item(result["bid"])


def reject_bid(client_id: str, bid_id: str) -> Bid:
    bid = _load(bid_id)
    if bid["clientId"] != client_id:
        raise not_found()
    if bid["status"] != "pending":
        raise not_pending(bid["status"])
    now, reason = now_iso(), {"closedReason": "rejected_by_client"}
    actions = [
        _bid_update(bid, "rejected", Conflict("The bid is no longer pending.", code="bid_not_pending"), now, **reason),
        job_service.usage_add(bid["workerId"], "liveBids", -1),
    ]
    db.transact_retrying(lambda: actions)
    return Bid.from_item({**bid, **reason, "status": "rejected", "updatedAt": now})


def withdraw_bid(worker_id: str, bid_id: str) -> Bid:
    bid = _load(bid_id)
    if bid["workerId"] != worker_id:
        raise not_found()
    if bid["status"] != "pending":
        raise not_pending(bid["status"])
    now = now_iso()
    actions = [
        _bid_update(bid, "withdrawn", Conflict("The bid is no longer pending.", code="bid_not_pending"), now),
        job_service.usage_add(worker_id, "liveBids", -1),
    ]
    db.transact_retrying(lambda: actions)
    return Bid.from_item({**bid, "status": "withdrawn", "updatedAt": now})
