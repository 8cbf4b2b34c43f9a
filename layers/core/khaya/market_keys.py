"""Keys of the marketplace items (jobs, bids, usage, workers, conversations, notifications).

Every list is one key or GSI query (never a Scan); newest first unless said otherwise.

Access patterns, as built
=========================

| access pattern                                  | where  | key                                                          |
|-------------------------------------------------|--------|--------------------------------------------------------------|
| job by id                                       | table  | ``JOB#<jobId>`` / ``META`` (+ ``version``)                   |
| jobs by status+category+city (GET /v1/jobs)     | table  | ``JOBS#<status>#cat#<category>#city#<city>`` / ``<createdAt>#<jobId>`` |
| jobs by status+category                         | table  | ``JOBS#<status>#cat#<category>`` / ``<createdAt>#<jobId>``   |
| jobs by status+city                             | table  | ``JOBS#<status>#city#<city>`` / ``<createdAt>#<jobId>``      |
| jobs by status                                  | table  | ``JOBS#<status>`` / ``<createdAt>#<jobId>``                  |
| a client's own jobs (GET /v1/me/jobs)           | gsi1   | ``USER#<clientId>`` / ``JOB#<createdAt>#<jobId>`` (on the job item) |
| bids on a job (owner's view)                    | table  | ``JOB#<jobId>`` / ``BID#<workerId>`` (one per worker per job)|
| bid by id                                       | table  | bid id = ``<jobId>.<workerId>`` → the key above, no lookup   |
| a worker's bids (GET /v1/me/bids)               | gsi1   | ``USER#<workerId>`` / ``BID#<createdAt>#<jobId>`` (on the bid item) |
| plan usage counters (open jobs, live bids)      | table  | ``USER#<userId>`` / ``USAGE`` (``openJobs``, ``liveBids``)   |
| worker profile                                  | table  | ``USER#<userId>`` / ``WORKER``                               |
| portfolio items of a worker                     | table  | ``USER#<userId>`` / ``PORTFOLIO#<itemId>``                   |
| conversation (one per job and worker)           | table  | ``CONV#<jobId>.<workerId>`` / ``META`` (put if not exists)   |
| messages of a conversation                      | table  | ``CONV#<convId>`` / ``MSG#<ulid>``                           |
| my conversations by last activity               | gsi1   | ``USER#<userId>`` / ``CONV#<lastActivityAt>#<convId>`` on ``USER#<userId>`` / ``CONV#<convId>`` |
| my notifications                                | table  | ``USER#<userId>`` / ``NOTIF#<ulid>`` (``ttl`` 90 days)       |
| my unread notifications                         | gsi2   | ``UNREAD#<userId>`` / ``NOTIF#<ulid>`` (sparse: removed when read) |

The four job-list partitions are small *index items* (a summary copy of the job) written,
moved and updated in the same transaction as the job itself, so each filter combination
is one Query of one partition. ``JOBS#<status>`` alone takes every job's write: fine for
the expected rate (far below 1 000 writes/s); shard it by a suffix if that ever changes.
"""

from __future__ import annotations

META = "META"
USAGE = "USAGE"
WORKER = "WORKER"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


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


def my_job_sk(created_at: str, job_id: str) -> str:
    return f"JOB#{created_at}#{job_id}"


def bid_sk(worker_id: str) -> str:
    return f"BID#{worker_id}"


def bid_id(job_id: str, worker_id: str) -> str:
    return f"{job_id}.{worker_id}"


def split_bid_id(value: str) -> tuple[str, str] | None:
    """``<jobId>.<workerId>`` → the two ids; ``None`` when it is not a bid id."""
    job_id, sep, worker_id = value.partition(".")
    if not sep or not job_id or not worker_id:
        return None
    return job_id, worker_id


def my_bid_sk(created_at: str, job_id: str) -> str:
    return f"BID#{created_at}#{job_id}"


def portfolio_sk(item_id: str) -> str:
    return f"PORTFOLIO#{item_id}"


def conv_id(job_id: str, worker_id: str) -> str:
    return f"{job_id}.{worker_id}"


def conv_pk(conversation_id: str) -> str:
    return f"CONV#{conversation_id}"


def msg_sk(message_id: str) -> str:
    return f"MSG#{message_id}"


def my_conv_sk(conversation_id: str) -> str:
    return f"CONV#{conversation_id}"


def my_conv_gsi1sk(last_activity_at: str, conversation_id: str) -> str:
    return f"CONV#{last_activity_at}#{conversation_id}"


def notif_sk(notification_id: str) -> str:
    return f"NOTIF#{notification_id}"


def unread_pk(user_id: str) -> str:
    return f"UNREAD#{user_id}"
