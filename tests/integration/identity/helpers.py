"""Small readers over the moto table for identity tests (what a user would see is asserted through the API)."""

from __future__ import annotations

from typing import Any

from khaya import db
from khaya.identity import keys


def otp_item(phone: str, purpose: str) -> dict[str, Any] | None:
    return db.get(*keys.otp(phone, purpose), consistent=True)


def user_by_phone(phone: str) -> dict[str, Any] | None:
    entry = db.get(*keys.phone(phone), consistent=True)
    return db.get(*keys.user(entry["userId"]), consistent=True) if entry else None


def table_items() -> list[dict[str, Any]]:
    """Every item (test-only: a scan of moto's table to prove nothing was written)."""
    from khaya.aws import client
    from khaya.config import settings

    return client("dynamodb").scan(TableName=settings().table_name)["Items"]
