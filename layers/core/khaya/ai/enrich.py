"""The AI side of the table's stream (``functions/ai/on_table_change.py``): what jobs get
after they are written, so that posting and editing stay fast.

For a record of a job's ``META`` item whose ``version`` moved (a marketplace change: posted,
edited, assigned, cancelled...; this consumer's own writes never move it):

* **open job**: its search vector is computed (Titan, else the local method) unless the
  stored one (``JOB#<id> | AI#EMBEDDING``) is of the same text, then written onto the job's
  open-jobs index items, which the marketplace rewrites on every change; a job without an
  ``aiSuggestion`` gets one. One transaction, conditional on the job's version still being
  the one read: if the job changed meanwhile nothing is written, and the newer change's own
  record does the work.
* **a job that left open**: its vector item is deleted (the index items went with the move);
  and an ``open → assigned`` job records its accepted price and days under
  ``PRICES#<category>#<currency>`` for later suggestions.

Each model call made here (a vector for a new text, a suggestion for a new job) spends one of
the job's client's daily ``enrich`` slots (``khaya.ai.quota``); past them the local methods
answer, so no sequence of posts and edits runs up the model bill.

Idempotent: the job is read fresh, a suggestion is only made when none is stored (so a
redelivered record costs no second model call) and every write is keyed by the job. A record
that fails is reported (``ReportBatchItemFailures``) with every record after it.
"""

from __future__ import annotations

from typing import Any

from khaya import db
from khaya.ai import embeddings, keys, quota, suggestions
from khaya.ai.backend import ai_settings
from khaya.db.stream import images, process_in_order
from khaya.errors import Conflict
from khaya.ids import epoch
from khaya.market import keys as market_keys
from khaya.observability import logger, metric

PRICE_SAMPLE_DAYS = 366
_DAY = 86400


def _model_allowed(job: dict[str, Any]) -> bool:
    """Whether a model call for this job may be made: one of its client's ``enrich`` slots."""
    return not ai_settings().uses_bedrock or quota.allows(str(job["clientId"]), "enrich")


def _vector(job: dict[str, Any]) -> tuple[bytes, str, list[db.TxAction]]:
    """The job's stored vector if it is of the current text, else a new one (and its put)."""
    text = embeddings.job_text(str(job["title"]), str(job["category"]), str(job.get("description") or ""))
    digest = embeddings.text_hash(text)
    stored = db.get(*keys.job_embedding(str(job["id"])), consistent=True)
    if stored and stored.get("textHash") == digest and isinstance(stored.get("vector"), bytes):
        return stored["vector"], str(stored["model"]), []
    made = embeddings.embed("job", text, use_model=_model_allowed(job))
    blob = embeddings.to_bytes(made.vector)
    item = {
        **keys.job_embedding(str(job["id"])).item(),
        "type": "jobEmbedding",
        "jobId": job["id"],
        "vector": blob,
        "model": made.model,
        "textHash": digest,
    }
    metric("JobEmbedded", source=made.source)
    return blob, made.model, [db.tx_put(item)]


def enrich_open_job(job: dict[str, Any]) -> None:
    blob, model, actions = _vector(job)
    version = {"#v": "version", "#s": "status"}
    guard = "#v = :v AND #s = :open"
    values = {":v": int(job["version"]), ":open": "open"}
    suggestion = None
    if not job.get("aiSuggestion") and suggestions.job_currency(job) is not None:
        suggestion = suggestions.for_job(job, use_model=_model_allowed(job))
    if suggestion is not None:
        meta = db.tx_update(
            *market_keys.job(str(job["id"])),
            set={"aiSuggestion": suggestion},
            condition=f"{guard} AND attribute_not_exists(aiSuggestion)",
            names=version,
            values=values,
        )
    else:
        meta = db.tx_check(*market_keys.job(str(job["id"])), condition=guard, names=version, values=values)
    sk = market_keys.job_created_sk(str(job["createdAt"]), str(job["id"]))
    index = [
        db.tx_update(pk, sk, set={"embedding": blob, "embeddingModel": model}, condition="attribute_exists(pk)")
        for pk in market_keys.job_list_pks("open", str(job["category"]), str(job["city"]))
    ]
    try:
        db.transact([meta, *actions, *index])
    except Conflict:
        logger.info("job changed while being enriched; its newer record will do it", extra={"jobId": job["id"]})
        return
    if suggestion is not None:
        metric("JobSuggestionAttached", source=str(suggestion["source"]))


def record_accepted_price(job: dict[str, Any]) -> None:
    """An ``open → assigned`` job's accepted amount and the bid's days, for later suggestions."""
    amount = job.get("acceptedAmount") or {}
    if not isinstance(amount.get("amount"), int) or not amount.get("currency"):
        return
    eta = None
    split = market_keys.split_bid_id(str(job.get("acceptedBidId") or ""))
    if split is not None and "#" not in split[1]:
        bid = db.get(*market_keys.bid(*split), projection=["etaDays"])
        eta = (bid or {}).get("etaDays")
    accepted_at = str(job.get("assignedAt") or job.get("updatedAt"))
    db.put(
        {
            **keys.price_sample(str(job["category"]), str(amount["currency"]), accepted_at, str(job["id"])).item(),
            "type": "priceSample",
            "amount": int(amount["amount"]),
            "etaDays": eta if isinstance(eta, int) else None,
            "city": job.get("city"),
            "ttl": epoch() + PRICE_SAMPLE_DAYS * _DAY,
        }
    )


def handle_record(record: dict[str, Any]) -> None:
    """One stream record; only job ``META`` changes made by the marketplace matter here."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return
    old, new = images(record)
    if not new or new.get("type") != "job" or new.get("sk") != "META":
        return
    if old is not None and old.get("version") == new.get("version"):
        return  # not a marketplace change (this consumer's own write, for one)
    job_id = str(new["id"])
    if new.get("status") != "open":
        if old is not None and old.get("status") == "open":
            db.delete(*keys.job_embedding(job_id))
            if new.get("status") == "assigned":
                record_accepted_price(new)
        return
    current = db.get(*market_keys.job(job_id), consistent=True)
    if current is None or current.get("version") != new.get("version"):
        return  # gone, or changed again: the newer record does the work
    enrich_open_job(current)


def process_stream(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Handle records in order; on the first failure report it and every record after it."""
    return process_in_order(records, handle_record)
