"""Worker profiles (public) and their portfolio images.

* ``USER#<id>`` / ``WORKER``: skills, categories, city, bio, hourly rate.
* ``USER#<id>`` / ``PORTFOLIO#<itemId>``: one image, uploaded by the worker straight to the
  private bucket under ``portfolio/<userId>/<itemId>.<ext>`` with a presigned POST (JPEG, PNG
  or WebP, ≤ 5 MB); at most ``MAX_PORTFOLIO`` items (a counter on ``USAGE``).
* ``GET /v1/workers/{id}`` shows public fields only (name, never the phone), a rating
  summary placeholder until reviews exist, and short-lived download links for the images.
"""

from __future__ import annotations

from typing import Any

from khaya import db
from khaya.api import ApiModel
from khaya.errors import BusinessRule, NotFound
from khaya.ids import new_id, now_iso
from khaya.market import keys
from khaya.money import Money, require_positive

MAX_PORTFOLIO = 30
PORTFOLIO_MAX_BYTES = 5 * 1024 * 1024


class Rating(ApiModel):
    average: float | None = None
    count: int = 0


class PortfolioImage(ApiModel):
    item_id: str
    content_type: str
    caption: str | None = None
    url: str
    created_at: str


class WorkerProfile(ApiModel):
    id: str
    name: str | None = None
    skills: list[str]
    categories: list[str]
    city: str
    city_name: str
    bio: str
    hourly_rate: Money
    rating: Rating = Rating()
    portfolio: list[PortfolioImage] = []
    updated_at: str


class Upload(ApiModel):
    url: str
    fields: dict[str, str]
    expires_in: int


class PortfolioUpload(ApiModel):
    item_id: str
    key: str
    upload: Upload


def not_found() -> NotFound:
    return NotFound("No worker with this id.", code="worker_not_found")


def put_profile(worker_id: str, data: dict[str, Any]) -> WorkerProfile:
    from khaya.market.catalog import city_slug, display_city

    require_positive(data["hourlyRate"], "hourlyRate")
    item = {
        "pk": keys.user_pk(worker_id),
        "sk": keys.WORKER,
        "type": "workerProfile",
        "id": worker_id,
        "skills": list(dict.fromkeys(data["skills"])),
        "categories": list(dict.fromkeys(data["categories"])),
        "city": city_slug(data["city"]),
        "cityName": display_city(data["city"]),
        "bio": data["bio"],
        "hourlyRate": dict(data["hourlyRate"]),
        "updatedAt": now_iso(),
    }
    db.put(item)
    return get_worker(worker_id)


def get_worker(worker_id: str) -> WorkerProfile:
    """Profile + name (one BatchGetItem) and portfolio (one Query)."""
    from khaya.media import presigned_get

    if not worker_id or "#" in worker_id:
        raise not_found()
    found = {
        i["sk"]: i for i in db.batch_get([(keys.user_pk(worker_id), keys.WORKER), (keys.user_pk(worker_id), "PROFILE")])
    }
    profile = found.get(keys.WORKER)
    if profile is None:
        raise not_found()
    user = found.get("PROFILE") or {}
    if user.get("status") in ("deleted", "suspended"):
        raise not_found()
    page = db.query(
        keys.user_pk(worker_id), sk_prefix="PORTFOLIO#", limit=MAX_PORTFOLIO, scope=f"portfolio:{worker_id}"
    )
    images = [{**i, "url": presigned_get(i["key"])} for i in page.items if i.get("key")]
    return WorkerProfile.from_item({**profile, "name": user.get("name"), "portfolio": images})


def create_portfolio_item(worker_id: str, content_type: str, caption: str | None) -> PortfolioUpload:
    from khaya.media import IMAGE_TYPES, presigned_post

    item_id = new_id()
    key = f"portfolio/{worker_id}/{item_id}.{IMAGE_TYPES[content_type]}"
    item = {
        "pk": keys.user_pk(worker_id),
        "sk": keys.portfolio_sk(item_id),
        "type": "portfolioItem",
        "itemId": item_id,
        "key": key,
        "contentType": content_type,
        "createdAt": now_iso(),
    }
    if caption:
        item["caption"] = caption
    db.transact(
        [
            db.tx_put(item, condition="attribute_not_exists(pk)"),
            db.tx_increment(
                keys.user_pk(worker_id),
                keys.USAGE,
                "portfolioItems",
                limit=MAX_PORTFOLIO,
                on_limit=BusinessRule(f"A portfolio holds at most {MAX_PORTFOLIO} images.", code="portfolio_full"),
            ),
        ]
    )
    upload = presigned_post(key, content_type, PORTFOLIO_MAX_BYTES)
    return PortfolioUpload.model_validate({"item_id": item_id, "key": key, "upload": upload})


def delete_portfolio_item(worker_id: str, item_id: str) -> None:
    from khaya.media import delete

    if not item_id or "#" in item_id:
        raise NotFound("No portfolio item with this id.", code="portfolio_item_not_found")
    pk, sk = keys.user_pk(worker_id), keys.portfolio_sk(item_id)
    item = db.get(pk, sk, consistent=True)
    if item is None:
        raise NotFound("No portfolio item with this id.", code="portfolio_item_not_found")
    db.transact(
        [
            db.tx_delete(pk, sk, condition="attribute_exists(pk)"),
            db.tx_update(pk, keys.USAGE, add={"portfolioItems": -1}),
        ]
    )
    delete(str(item["key"]))
