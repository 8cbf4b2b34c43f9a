"""Keys of the marketplace items (jobs, bids, usage, workers, conversations, notifications).

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
- my notifications: ``USER#<userId> | NOTIF#<ulid>`` (``ttl`` 90 days; the ulid's time bounds the query)
- my unread notifications: ``gsi2: UNREAD#<userId> | NOTIF#<ulid>`` (sparse: removed when read)

The four job-list partitions are small *index items* (a summary copy of the job) written,
moved and updated in the same transaction as the job itself, so each filter combination
is one Query of one partition. ``JOBS#<status>`` alone takes every job's write: fine for
the expected rate (far below 1 000 writes/s); shard it by a suffix if that ever changes.
"""

from __future__ import annotations

from khaya.db.keys import user_pk

__all__ = ["user_pk"]  # re-exported: the marketplace keys build on khaya.db.keys

USAGE = "USAGE"
WORKER = "WORKER"


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


def bid_id(job_id: str, worker_id: str) -> str:
    return f"{job_id}.{worker_id}"


def split_bid_id(value: str) -> tuple[str, str] | None:
    """``<jobId>.<workerId>`` → the two ids; ``None`` when it is not a bid id."""
    job_id, sep, worker_id = value.partition(".")
    if not sep or not job_id or not worker_id:
        return None
    return job_id, worker_id


def portfolio_sk(item_id: str) -> str:
    return f"PORTFOLIO#{item_id}"


def conv_id(job_id: str, worker_id: str) -> str:
    return f"{job_id}.{worker_id}"


def my_conv_sk(conversation_id: str) -> str:
    return f"CONV#{conversation_id}"


def my_conv_gsi1sk(last_activity_at: str, conversation_id: str) -> str:
    return f"CONV#{last_activity_at}#{conversation_id}"


def unread_pk(user_id: str) -> str:
    return f"UNREAD#{user_id}"
