"""Example keys for the ``khaya.db`` toolkit's own tests: the shapes of real items (a job,
its bids, a phone claim, a ledger entry, a GSI listing) without depending on any domain."""

from __future__ import annotations

from khaya.db.keys import GSI1, GSI2, IndexKey, Key, join, part

USER_INDEX = GSI1
OPEN_JOBS_INDEX = GSI2
BID_PREFIX = "BID#"


def user_pk(user_id: str) -> str:
    return f"USER#{part(user_id)}"


def user(user_id: str) -> Key:
    return Key(user_pk(user_id), "PROFILE")


def phone(e164: str) -> Key:
    return Key(f"PHONE#{part(e164)}", "PHONE")


def job_pk(job_id: str) -> str:
    return f"JOB#{part(job_id)}"


def job(job_id: str) -> Key:
    return Key(job_pk(job_id), "META")


def bid(job_id: str, worker_id: str) -> Key:
    return Key(job_pk(job_id), BID_PREFIX + part(worker_id))


def ledger_entry(job_id: str, txn_id: str) -> Key:
    return Key(job_pk(job_id), "TXN#" + part(txn_id))


def notification(user_id: str, notification_id: str) -> Key:
    return Key(user_pk(user_id), "NOTIF#" + part(notification_id))


def rate_limit(scope: str, key: str, window: str | int) -> Key:
    return Key(f"RL#{join(scope, key, str(window))}", "RL")


def open_jobs_pk(category: str, city: str) -> str:
    return f"OPEN#{join(category, city)}"


def open_job_index(category: str, city: str, created_at: str, job_id: str) -> IndexKey:
    return IndexKey(OPEN_JOBS_INDEX, open_jobs_pk(category, city), join(created_at, job_id))


def user_ledger_index(user_id: str, txn_id: str) -> IndexKey:
    return IndexKey(USER_INDEX, user_pk(user_id), "TXN#" + part(txn_id))
