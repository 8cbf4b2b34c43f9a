"""Times as the table stores them (fixed-width ISO 8601 UTC, so they sort as text)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def iso_in(seconds: float) -> str:
    """Now plus ``seconds`` (negative for the past)."""
    return iso(datetime.now(UTC) + timedelta(seconds=seconds))


def age_seconds(stamp: str) -> float:
    """How long ago ``stamp`` (an ISO time written by ``khaya.ids.now_iso``) was."""
    return time.time() - datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def iso_after(stamp: str, seconds: float) -> str:
    """``stamp`` (ISO) plus ``seconds``."""
    return iso(datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=seconds))
