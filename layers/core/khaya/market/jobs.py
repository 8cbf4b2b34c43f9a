"""Jobs: post, read, edit while open, cancel, list by filters, a client's own jobs.

Status machine (API.md)::

    open ──accept bid──> assigned ──payment──> funded ──complete──> completed ──payout──> paid_out
      │                     │                    │
      └──────cancel─────────┴──> cancelled <─────┘ (only through a refund)

Every transition is one transaction whose job update is conditional on the status it
leaves *and* the version read, so a transition that no longer applies is a 409 and
changes nothing. The same transaction moves the job's list index items (see
``khaya.market.keys``) and keeps the client's open-job counter exact (``khaya.market.plans``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from khaya import db
from khaya.api import ApiModel, Page
from khaya.errors import BusinessRule, Conflict, Forbidden, NotFound
from khaya.http import Caller
from khaya.ids import new_id, now_iso
from khaya.market import keys
from khaya.market.estimates import JobSuggestion
from khaya.money import Currency, Money, require_currency, require_positive

Status = Literal["open", "assigned", "funded", "completed", "paid_out", "cancelled"]

# Pending bids closed inside the accept/cancel transaction (2 actions each: the bid and its
# worker's counter). Any beyond are closed right after by the stream consumer
# (``khaya.market.notifications.close_pending_bids``), which also catches a bid that raced in.
IN_TX_BID_CLOSES = 40

SUMMARY_FIELDS = (
    "id",
    "clientId",
    "title",
    "category",
    "city",
    "cityName",
    "budget",
    "currency",
    "dueDate",
    "status",
    "createdAt",
)


class JobSummary(ApiModel):
    id: str
    client_id: str
    title: str
    category: str
    city: str
    city_name: str
    budget: Money | None = None
    currency: Currency | None = Field(
        default=None, description="The job's one currency: its budget's, else its city's country's; bids use it."
    )
    due_date: date | None = None
    status: Status
    created_at: str


class Job(JobSummary):
    description: str
    version: int
    updated_at: str
    accepted_bid_id: str | None = None
    accepted_amount: Money | None = None
    worker_id: str | None = None
    ai_suggestion: JobSuggestion | None = None
    # Written by the payments domain: where the job's payout and refund are.
    payout_status: Literal["waiting_account", "pending", "in_flight", "paid", "failed", "parked"] | None = None
    refund_status: Literal["pending", "failed", "refunded"] | None = None


JobPage = Page[JobSummary]


def not_found() -> NotFound:
    return NotFound("No job with this id.", code="job_not_found")


def not_open(status: str) -> Conflict:
    return Conflict(f"The job is {status}, not open.", code="job_not_open")


def stale() -> Conflict:
    return Conflict("The job changed since it was read; reload it and try again.", code="job_changed")


def plan_limit(what: str, limit: int) -> BusinessRule:
    return BusinessRule(
        f"Your plan allows {limit} {what} at a time.",
        code="plan_limit_reached",
        details=[{"field": what.replace(" ", "_"), "issue": "limit", "limit": limit}],
    )


# ---------------------------------------------------------------- items


def _index_items(job: dict[str, Any]) -> list[dict[str, Any]]:
    summary = {k: job[k] for k in SUMMARY_FIELDS if job.get(k) is not None}
    sk = keys.job_created_sk(job["createdAt"], job["id"])
    return [
        {"pk": pk, "sk": sk, "type": "jobIndex", **summary}
        for pk in keys.job_list_pks(job["status"], job["category"], job["city"])
    ]


def index_actions(before: dict[str, Any] | None, after: dict[str, Any]) -> list[db.TxAction]:
    """Move/refresh the job's list index items from ``before`` to ``after`` (one action per item)."""
    new = _index_items(after)
    new_keys = {(i["pk"], i["sk"]) for i in new}
    actions = []
    if before is not None:
        sk = keys.job_created_sk(before["createdAt"], before["id"])
        for pk in keys.job_list_pks(before["status"], before["category"], before["city"]):
            if (pk, sk) not in new_keys:
                actions.append(db.tx_delete(pk, sk))
    actions.extend(db.tx_put(i) for i in new)
    return actions


def usage_add(user_id: str, attr: str, by: int) -> db.TxAction:
    return db.tx_update(keys.user_pk(user_id), keys.USAGE, add={attr: by})


# ---------------------------------------------------------------- currency


def currency_for(
    city: str, budget: dict[str, Any] | None, client: dict[str, Any] | None, *, field: str = "budget"
) -> str:
    """A new job's one currency: its budget's; else its city's country's; else the client's
    phone region's. None of them known → 422 ``currency_unknown`` (give ``field``)."""
    from khaya.market.catalog import country_of_city, currency_of_country

    if budget is not None:
        return str(budget["currency"])
    found = currency_of_country(country_of_city(city))
    phone = (client or {}).get("phone")
    if found is None and phone:
        from khaya.phones import region_of

        found = currency_of_country(region_of(str(phone)))
    if found is None:
        raise BusinessRule(
            f"{field}: the job's currency cannot be told from its city; give a {field}.",
            code="currency_unknown",
            details=[{"field": field, "issue": "required"}],
        )
    return found


def default_currency(client_id: str, city: str, *, field: str) -> str:
    """The currency a job of ``client_id`` in ``city`` without a budget is in (422 when unknown)."""
    from khaya.identity.accounts import get_user

    found = currency_of_city(city)
    return found or currency_for(city, None, get_user(client_id), field=field)


def currency_of_city(city: str) -> str | None:
    from khaya.market.catalog import country_of_city, currency_of_country

    return currency_of_country(country_of_city(city))


def job_currency(job: dict[str, Any]) -> str | None:
    """The currency of a stored job (jobs posted before it was recorded: budget's, else city's)."""
    from khaya.market.catalog import country_of_city, currency_of_country

    if job.get("currency"):
        return str(job["currency"])
    if job.get("budget"):
        return str(job["budget"]["currency"])
    return currency_of_country(country_of_city(str(job.get("city", ""))))


# ---------------------------------------------------------------- reads


def load(job_id: str, *, consistent: bool = True) -> dict[str, Any]:
    if not job_id or "#" in job_id:
        raise not_found()
    item = db.get(*keys.job(job_id), consistent=consistent)
    if item is None:
        raise not_found()
    return item


# Who won a job and at what price: for its owner, that worker and admins only (API.md).
WINNER_FIELDS = ("workerId", "acceptedAmount", "acceptedBidId")


def visible_to(job: dict[str, Any], who: Caller) -> dict[str, Any]:
    """``job`` as ``who`` may see it: anyone else than the owner, the assigned worker and an
    admin sees an assigned job's status, not who won it or for how much."""
    if who.is_admin or who.user_id in (job.get("clientId"), job.get("workerId")):
        return job
    return {k: v for k, v in job.items() if k not in WINNER_FIELDS}


def get_job(who: Caller, job_id: str) -> Job:
    return Job.from_item(visible_to(load(job_id, consistent=False), who))


def list_jobs(*, status: str, category: str | None, city: str | None, limit: int, cursor: str | None) -> JobPage:
    """Newest first, one Query of one list partition whatever the filters."""
    pk = keys.job_list_pk(status, category, city)
    page = db.query(pk, limit=limit, cursor=cursor, scope=f"jobs:{pk}")
    return JobPage.of(page)


def list_my_jobs(client_id: str, *, limit: int, cursor: str | None) -> JobPage:
    page = db.query(
        keys.user_pk(client_id),
        index=keys.USER_INDEX,
        sk_prefix=keys.JOB_PREFIX,
        limit=limit,
        cursor=cursor,
        scope=f"myjobs:{client_id}",
    )
    return JobPage.of(page)


# ---------------------------------------------------------------- writes


def create_job(client_id: str, data: dict[str, Any]) -> Job:
    """Post a job (``data``: title, description, category, city, budget?, dueDate?).

    The job, its list index items and the client's open-job counter (under the plan's
    limit) are one transaction: over the limit → 422 ``plan_limit_reached``, nothing written.
    """
    from khaya.identity.accounts import get_user
    from khaya.market.catalog import city_slug, display_city
    from khaya.market.plans import limits_for, plan_of

    require_positive(data.get("budget"), "budget")
    client = get_user(client_id)
    currency = currency_for(data["city"], data.get("budget"), client)
    limit = limits_for(plan_of(client)).open_jobs
    job_id, now = new_id(), now_iso()
    job: dict[str, Any] = {
        "id": job_id,
        "clientId": client_id,
        "title": data["title"],
        "description": data["description"],
        "category": data["category"],
        "city": city_slug(data["city"]),
        "cityName": display_city(data["city"]),
        "currency": currency,
        "status": "open",
        "version": 1,
        "createdAt": now,
        "updatedAt": now,
    }
    if data.get("budget") is not None:
        job["budget"] = dict(data["budget"])
    if data.get("dueDate") is not None:
        job["dueDate"] = str(data["dueDate"])
    item = {
        **keys.job(job_id).item(),
        **keys.user_job_index(client_id, now, job_id).item(),
        "type": "job",
        **job,
    }
    counter = db.tx_increment(
        keys.user_pk(client_id),
        keys.USAGE,
        "openJobs",
        limit=limit,
        on_limit=plan_limit("open jobs", limit) if limit is not None else None,
    )
    db.transact_retrying(
        lambda: [db.tx_put(item, condition="attribute_not_exists(pk)"), counter, *index_actions(None, job)]
    )
    return Job.from_item(job)


def _owned(job_id: str, client_id: str) -> dict[str, Any]:
    job = load(job_id)
    if job["clientId"] != client_id:
        raise Forbidden("Only the client who posted this job can change it.", code="not_job_owner")
    return job


def transition(
    job: dict[str, Any],
    to_status: str,
    *,
    set: dict[str, Any] | None = None,
    on_conflict: Conflict | None = None,
) -> tuple[dict[str, Any], list[db.TxAction]]:
    """The job after the transition and the actions that make it: the job update guarded by
    its current status and version, and its index items moved."""
    now = now_iso()
    changes = {**(set or {}), "status": to_status, "updatedAt": now}
    after = {**job, **{k: v for k, v in changes.items() if v is not None}, "version": int(job["version"]) + 1}
    update = db.tx_update_versioned(
        *keys.job(job["id"]),
        expected_version=int(job["version"]),
        set=changes,
        condition="#s = :from",
        names={"#s": "status"},
        values={":from": job["status"]},
        on_conflict=on_conflict or stale(),
    )
    return after, [update, *index_actions(job, after)]


def close_bids_actions(bids: list[dict[str, Any]], reason: str) -> list[db.TxAction]:
    """Reject ``bids`` (pending, as read a moment ago) and give back their workers' live-bid slots.

    Each bid update is conditional on it still being pending; if one moved meanwhile (say, it
    was withdrawn) the whole transaction is retried from fresh reads (``Retry``).
    """
    now = now_iso()
    actions = []
    for bid in bids[:IN_TX_BID_CLOSES]:
        actions.append(
            db.tx_update(
                bid["pk"],
                bid["sk"],
                set={"status": "rejected", "closedReason": reason, "updatedAt": now},
                add={"version": 1},
                condition="#s = :pending",
                names={"#s": "status"},
                values={":pending": "pending"},
                on_fail=db.Retry(),
            )
        )
        actions.append(usage_add(bid["workerId"], "liveBids", -1))
    return actions


def pending_bids(job_id: str, limit: int = IN_TX_BID_CLOSES) -> list[dict[str, Any]]:
    page = db.query(
        keys.job_pk(job_id),
        sk_prefix=keys.BID_PREFIX,
        filter="#s = :pending",
        names={"#s": "status"},
        values={":pending": "pending"},
        limit=limit,
        consistent=True,
        forward=True,
        scope=f"pending:{job_id}",
    )
    return page.items


def update_job(client_id: str, job_id: str, changes: dict[str, Any]) -> Job:
    """Edit an open job (owner only); category/city changes move its list index items."""
    from khaya.market.catalog import city_slug, display_city

    require_positive(changes.get("budget"), "budget")

    def build() -> list[db.TxAction]:
        job = _owned(job_id, client_id)
        if job["status"] != "open":
            raise not_open(job["status"])
        currency = job_currency(job)
        if changes.get("budget") is not None and currency is not None:
            require_currency(changes["budget"], currency, "budget")
        sets: dict[str, Any] = {}
        for field in ("title", "description", "category"):
            if changes.get(field) is not None:
                sets[field] = changes[field]
        if changes.get("city") is not None:
            sets["city"] = city_slug(changes["city"])
            sets["cityName"] = display_city(changes["city"])
        if "budget" in changes:
            sets["budget"] = dict(changes["budget"]) if changes["budget"] is not None else None
        if "dueDate" in changes:
            sets["dueDate"] = str(changes["dueDate"]) if changes["dueDate"] is not None else None
        sets["updatedAt"] = now_iso()
        after = {**job, **sets, "version": int(job["version"]) + 1}
        after = {k: v for k, v in after.items() if v is not None}
        result["job"] = after
        update = db.tx_update_versioned(
            *keys.job(job_id),
            expected_version=int(job["version"]),
            set=sets,
            condition="#s = :open",
            names={"#s": "status"},
            values={":open": "open"},
            on_conflict=db.Retry(),
        )
        return [update, *index_actions(job, after)]

    result: dict[str, dict[str, Any]] = {}
    db.transact_retrying(build)
    return Job.from_item(result["job"])


class RefundRequired(Conflict):
    code = "refund_required"
    default_message = "This job is funded: cancelling it goes through a refund."


def cancel_job(client_id: str, job_id: str) -> Job:
    """``open``/``assigned`` → ``cancelled`` (owner only). An open job frees its slot in the
    client's plan and closes its pending bids. A funded job is cancelled through a refund,
    which the payments domain owns: this raises ``RefundRequired`` (the cancel route hands the
    job to ``khaya.payments.refunds.cancel_funded_job``; the market never imports payments)."""
    result: dict[str, dict[str, Any]] = {}

    def build() -> list[db.TxAction]:
        job = _owned(job_id, client_id)
        if job["status"] == "funded":
            raise RefundRequired()
        if job["status"] not in ("open", "assigned"):
            raise not_open(job["status"])
        after, actions = transition(job, "cancelled", set={"cancelledAt": now_iso()}, on_conflict=db.Retry())
        if job["status"] == "open":
            actions.append(usage_add(client_id, "openJobs", -1))
            actions.extend(close_bids_actions(pending_bids(job_id), "job_cancelled"))
        result["job"] = after
        return actions

    db.transact_retrying(build)
    return Job.from_item(result["job"])


WORKER_GONE = "worker_account_deleted"


class _NothingToCancel(Exception):
    pass


def cancel_for_missing_worker(job_id: str, worker_id: str) -> None:
    """``assigned`` → ``cancelled`` because its worker's account is erased (before any money
    is held, the job cannot go on without it; the client is told and may post it again).
    Nothing happens if the job has moved on or is not assigned to ``worker_id``."""

    def build() -> list[db.TxAction]:
        job = load(job_id)
        if job["status"] != "assigned" or job.get("workerId") != worker_id:
            raise _NothingToCancel()
        changes = {"cancelledAt": now_iso(), "cancelledReason": WORKER_GONE}
        return transition(job, "cancelled", set=changes, on_conflict=db.Retry())[1]

    try:
        db.transact_retrying(build)
    except _NothingToCancel:
        return
