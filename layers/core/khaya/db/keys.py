"""Key builders for the one Khaya table, and its access patterns.

Every read below is a ``GetItem``, ``BatchGetItem`` or a ``Query`` on a key or GSI: there is
no Scan. Each builder is a small pure function; add yours next to its neighbours and add a
row to the table. Key parts are validated: an empty part or one containing ``#`` (the
separator) is a ``ValueError`` (validate user input before it gets here).

Access patterns (``pk | sk`` on the table; ``gsiN: pk | sk`` on an index):

- user profile: ``USER#<id> | PROFILE`` (get)
- unique phone: ``PHONE#<e164> | PHONE`` (put in the user's transaction, ``attribute_not_exists``)
- unique referral code: ``REFCODE#<code> | REFCODE`` (same)
- job: ``JOB#<id> | META`` with ``version`` (update_versioned)
- open jobs by category and city: on the job item, ``gsi2: OPEN#<category>#<city> | <createdAt>#<jobId>``;
  sparse: the gsi2 keys are removed when the job stops being open
- a client's jobs: on the job item, ``gsi1: USER#<clientId> | JOB#<createdAt>#<jobId>`` (sk_prefix ``JOB#``)
- bids on a job: ``JOB#<id> | BID#<workerId>`` (sk_prefix ``BID#``; one bid per worker per job)
- a worker's bids: on the bid item, ``gsi1: USER#<workerId> | BID#<createdAt>#<jobId>`` (sk_prefix ``BID#``)
- ledger of a job: ``JOB#<id> | TXN#<ulid>`` (sk_prefix ``TXN#``)
- a user's ledger: on the ledger item, ``gsi1: USER#<id> | TXN#<ulid>``
- webhook dedupe: ``EVT#<provider>#<key> | EVT`` (put_new, ``ttl``)
- OTP: ``OTP#<e164>#<purpose> | OTP`` (hashed code, attempts, ``ttl``)
- refresh token: ``RT#<hash> | RT`` (get by the token's hash)
- refresh-token family: ``USER#<id> | RTF#<family>`` (sk_prefix ``RTF#`` to revoke all)
- rate limit window: ``RL#<scope>#<key>#<window> | RL`` (increment with limit, ``ttl``)
- Twilio message → the OTP it carried: ``TWMSG#<MessageSid> | TWMSG`` (get, for status callbacks; ``ttl``)
- local outbox (local stage only): ``OUTBOX#<e164> | MSG#<time>#<sid>`` (newest first, ``ttl``)
- conversation: ``CONV#<id> | META``; its messages ``CONV#<id> | MSG#<ulid>`` (sk_prefix ``MSG#``)
- notifications of a user: ``USER#<id> | NOTIF#<ulid>`` (sk_prefix ``NOTIF#``, ``ttl``)

Timestamps in sort keys are ISO-8601 UTC strings of fixed width (``2026-11-21T00:10:42Z``)
and ids are ULIDs, so string order is time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

SEP = "#"
USER_INDEX = "gsi1"  # a user's jobs, bids, ledger
OPEN_JOBS_INDEX = "gsi2"  # open jobs by category and city

JOB_PREFIX = "JOB#"
BID_PREFIX = "BID#"
TXN_PREFIX = "TXN#"
MSG_PREFIX = "MSG#"
NOTIF_PREFIX = "NOTIF#"
RTF_PREFIX = "RTF#"


class Key(NamedTuple):
    """A table key; ``db.get(*key)`` and ``{**key.item(), ...}`` both work."""

    pk: str
    sk: str

    def item(self) -> dict[str, str]:
        return {"pk": self.pk, "sk": self.sk}


@dataclass(frozen=True)
class IndexKey:
    """The GSI attributes an item carries to appear in ``index``."""

    index: str
    pk: str
    sk: str

    def item(self) -> dict[str, str]:
        return {f"{self.index}pk": self.pk, f"{self.index}sk": self.sk}


def _p(value: str) -> str:
    """One key part: non-empty, no separator."""
    if not isinstance(value, str) or not value or SEP in value:
        raise ValueError("a key part must be a non-empty string without '#'")
    return value


def _join(*parts: str) -> str:
    return SEP.join(_p(p) for p in parts)


# ---------------------------------------------------------------- users and uniqueness


def user_pk(user_id: str) -> str:
    return f"USER#{_p(user_id)}"


def user(user_id: str) -> Key:
    return Key(user_pk(user_id), "PROFILE")


def phone(e164: str) -> Key:
    return Key(f"PHONE#{_p(e164)}", "PHONE")


def refcode(code: str) -> Key:
    return Key(f"REFCODE#{_p(code)}", "REFCODE")


# ---------------------------------------------------------------- jobs and bids


def job_pk(job_id: str) -> str:
    return f"JOB#{_p(job_id)}"


def job(job_id: str) -> Key:
    return Key(job_pk(job_id), "META")


def open_jobs_pk(category: str, city: str) -> str:
    return f"OPEN#{_join(category, city)}"


def open_job_index(category: str, city: str, created_at: str, job_id: str) -> IndexKey:
    return IndexKey(OPEN_JOBS_INDEX, open_jobs_pk(category, city), _join(created_at, job_id))


def user_job_index(client_id: str, created_at: str, job_id: str) -> IndexKey:
    return IndexKey(USER_INDEX, user_pk(client_id), JOB_PREFIX + _join(created_at, job_id))


def bid(job_id: str, worker_id: str) -> Key:
    return Key(job_pk(job_id), BID_PREFIX + _p(worker_id))


def user_bid_index(worker_id: str, created_at: str, job_id: str) -> IndexKey:
    return IndexKey(USER_INDEX, user_pk(worker_id), BID_PREFIX + _join(created_at, job_id))


# ---------------------------------------------------------------- money


def ledger_entry(job_id: str, txn_id: str) -> Key:
    return Key(job_pk(job_id), TXN_PREFIX + _p(txn_id))


def user_ledger_index(user_id: str, txn_id: str) -> IndexKey:
    return IndexKey(USER_INDEX, user_pk(user_id), TXN_PREFIX + _p(txn_id))


def webhook_event(provider: str, event_key: str) -> Key:
    return Key(f"EVT#{_join(provider, event_key)}", "EVT")


# ---------------------------------------------------------------- auth


def otp(e164: str, purpose: str) -> Key:
    return Key(f"OTP#{_join(e164, purpose)}", "OTP")


def refresh_token(token_hash: str) -> Key:
    return Key(f"RT#{_p(token_hash)}", "RT")


def refresh_family(user_id: str, family_id: str) -> Key:
    return Key(user_pk(user_id), RTF_PREFIX + _p(family_id))


def rate_limit(scope: str, key: str, window: str | int) -> Key:
    return Key(f"RL#{_join(scope, key, str(window))}", "RL")


def twilio_message(message_sid: str) -> Key:
    return Key(f"TWMSG#{_p(message_sid)}", "TWMSG")


def outbox_pk(e164: str) -> str:
    return f"OUTBOX#{_p(e164)}"


# ---------------------------------------------------------------- messaging


def conversation_pk(conversation_id: str) -> str:
    return f"CONV#{_p(conversation_id)}"


def conversation(conversation_id: str) -> Key:
    return Key(conversation_pk(conversation_id), "META")


def message(conversation_id: str, message_id: str) -> Key:
    return Key(conversation_pk(conversation_id), MSG_PREFIX + _p(message_id))


def notification(user_id: str, notification_id: str) -> Key:
    return Key(user_pk(user_id), NOTIF_PREFIX + _p(notification_id))
