"""Read-only access to the user records the identity issue writes (``USER#<id>`` / ``PROFILE``).

The marketplace needs a user's name (public worker profile), phone (bid-accepted message)
and plan (limits); it never writes the profile item.
"""

from __future__ import annotations

from typing import Any

PROFILE = "PROFILE"


def get_user(user_id: str) -> dict[str, Any] | None:
    from khaya import db
    from khaya.market_keys import user_pk

    return db.get(user_pk(user_id), PROFILE)


def plan_of(user: dict[str, Any] | None) -> str:
    """The user's plan; absent (or no record) means ``free``."""
    return str((user or {}).get("plan") or "free")
