"""Keys of the marketplace items: jobs, bids, plan usage, workers, conversations, notifications.

Every list is one key or GSI query (never a Scan); newest first unless said otherwise.

Access patterns, as built
=========================

``pk | sk`` on the table; ``gsiN: pk | sk`` on an index (on the item named):

- job by id: ``JOB#<jobId> | META`` (+ ``version``)
- jobs by status+category+city (GET /v1/jobs): ``JOBS#<status>#cat#<category>#city#<city> | <createdAt>#<jobId>``
- jobs by status+category: ``JOBS#<status>#cat#<category> | <createdAt>#<jobId>``
- jobs by status+city: ``JOBS#<status>#city#<city> | <createdAt>#<jobId>``
- jobs by status alone: ``JOBS#<status> | <createdAt>#<jobId>``
- a client's own jobs (GET /v1/me/jobs): on the job, ``gsi1: USER#<clientId> | JOB#<createdAt>#<jobId>``
- bids on a job (owner's view): ``JOB#<jobId> | BID#<workerId>`` (one per worker per job)
- bid by id: the id is ``<jobId>.<workerId>``, i.e. the key above (no lookup)
- a worker's bids (GET /v1/me/bids): on the bid, ``gsi1: USER#<workerId> | BID#<createdAt>#<jobId>``
- plan usage counters: ``USER#<userId> | USAGE`` (``openJobs``, ``liveBids``, ``portfolioItems``)
- worker profile: ``USER#<userId> | WORKER``
- portfolio images: ``USER#<userId> | PORTFOLIO#<itemId>``
- conversation (one per job and worker): ``CONV#<jobId>.<workerId> | META`` (put if absent)
- messages: ``CONV#<convId> | MSG#<ulid>``
- my conversations by last activity: on ``USER#<userId> | CONV#<convId>``,
  ``gsi1: USER#<userId> | CONV#<lastActivityAt>#<convId>``
- all my conversations, read consistently (the erasure closes them): the same items on the
  table, ``USER#<userId> | CONV#`` (sk prefix)
- a job's bids, for the erasure (its title copied onto them): ``JOB#<jobId> | BID#`` (sk prefix)
- my notifications with any id (the erasure rewords or deletes them, expired ones included):
  ``USER#<userId> | NOTIF#`` (sk prefix, filtered on ``data.jobId``/``data.conversationId``)
- my notifications: ``USER#<userId> | NOTIF#<ulid>`` (``ttl`` 90 days; the ulid's time bounds the query)
- my unread notifications: ``gsi2: UNREAD#<userId> | NOTIF#<ulid>`` (sparse: removed when read)

The four job-list partitions are small *index items* (a summary copy of the job) written,
moved and updated in the same transaction as the job itself, so each filter combination
is one Query of one partition. ``JOBS#<status>`` alone takes every job's write: fine for
the expected rate (far below 1 000 writes/s); shard it by a suffix if that ever changes.
"""

from __future__ import annotations

from khaya.db.keys import GSI1, GSI2, IndexKey, join, part
from khaya.db.keys import Key as Key
from khaya.identity.keys import user_pk as user_pk

USER_INDEX = GSI1  # a user's jobs, bids, conversations
UNREAD_INDEX = GSI2  # a user's unread notifications
USAGE = "USAGE"
WORKER = "WORKER"
JOB_PREFIX = "JOB#"
BID_PREFIX = "BID#"
MSG_PREFIX = "MSG#"
NOTIF_PREFIX = "NOTIF#"


# ---------------------------------------------------------------- jobs


def job_pk(job_id: str) -> str:
    return f"JOB#{part(job_id)}"


def job(job_id: str) -> Key:
    return Key(job_pk(job_id), "META")


def user_job_index(client_id: str, created_at: str, job_id: str) -> IndexKey:
    return IndexKey(USER_INDEX, user_pk(client_id), JOB_PREFIX + join(created_at, job_id))


def job_created_sk(created_at: str, job_id: str) -> str:
    return f"{created_at}#{job_id}"


def job_list_pk(status: str, category: str | None = None, city: str | None = None) -> str:
    parts = [f"JOBS#{status}"]
    if category:
        parts.append(f"cat#{category}")
    if city:
        parts.append(f"city#{city}")
    return "#".join(parts)


def job_list_pks(status: str, category: str, city: str) -> list[str]:
    """Every list partition a job with these attributes appears in."""
    return [
        job_list_pk(status, category, city),
        job_list_pk(status, category),
        job_list_pk(status, city=city),
        job_list_pk(status),
    ]


# ---------------------------------------------------------------- bids


def bid(job_id: str, worker_id: str) -> Key:
    return Key(job_pk(job_id), BID_PREFIX + part(worker_id))


def user_bid_index(worker_id: str, created_at: str, job_id: str) -> IndexKey:
    return IndexKey(USER_INDEX, user_pk(worker_id), BID_PREFIX + join(created_at, job_id))


def bid_id(job_id: str, worker_id: str) -> str:
    return f"{job_id}.{worker_id}"


def split_bid_id(value: str) -> tuple[str, str] | None:
    """``<jobId>.<workerId>`` → the two ids; ``None`` when it is not a bid id."""
    job_id, sep, worker_id = value.partition(".")
    if not sep or not job_id or not worker_id:
        return None
    return job_id, worker_id


# ---------------------------------------------------------------- workers


def portfolio_sk(item_id: str) -> str:
    return f"PORTFOLIO#{item_id}"


# ---------------------------------------------------------------- conversations


def conv_id(job_id: str, worker_id: str) -> str:
    return f"{job_id}.{worker_id}"


def conversation_pk(conversation_id: str) -> str:
    return f"CONV#{part(conversation_id)}"


def conversation(conversation_id: str) -> Key:
    return Key(conversation_pk(conversation_id), "META")


def message(conversation_id: str, message_id: str) -> Key:
    return Key(conversation_pk(conversation_id), MSG_PREFIX + part(message_id))


def my_conv_sk(conversation_id: str) -> str:
    return f"CONV#{conversation_id}"


def my_conv_gsi1sk(last_activity_at: str, conversation_id: str) -> str:
    return f"CONV#{last_activity_at}#{conversation_id}"


# ---------------------------------------------------------------- notifications


def notification(user_id: str, notification_id: str) -> Key:
    return Key(user_pk(user_id), NOTIF_PREFIX + part(notification_id))


def unread_pk(user_id: str) -> str:
    return f"UNREAD#{user_id}"
