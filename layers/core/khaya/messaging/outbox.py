"""Local adapter of ``MessageSender``: messages become table items instead of going out.

Selected with ``MESSAGING_BACKEND=outbox`` (set only by the local environment). Items are
``OUTBOX#<e164> | MSG#<time>#<sid>`` with a one-day ``ttl``, so every local function and the
gateway's ``GET /_dev/outbox?to=`` see the same messages, newest first.

``OUTBOX_FAIL_WHATSAPP`` (a comma list of E.164 numbers, local only) makes WhatsApp fail
with 63003 for those numbers, to watch the SMS fallback by hand.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from khaya import db
from khaya.db.keys import Key, part
from khaya.messaging import DeliveryFailed

_KEEP_SECONDS = 86400


def outbox_pk(e164: str) -> str:
    """``OUTBOX#<e164> | MSG#<time>#<sid>``: the messages "sent" to one number, newest first."""
    return f"OUTBOX#{part(e164)}"


class OutboxSender:
    def _write(self, to: str, channel: str, text: str, extra: Mapping[str, Any]) -> str:
        sid = "SM" + secrets.token_hex(16)
        now = time.time()
        db.put(
            {
                **Key(outbox_pk(to), f"MSG#{int(now * 1_000_000):020d}#{sid}").item(),
                "to": to,
                "channel": channel,
                "text": text,
                "sid": sid,
                "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "ttl": int(now) + _KEEP_SECONDS,
                **extra,
            }
        )
        return sid

    def send_whatsapp_template(
        self, to: str, content_sid: str, variables: Mapping[str, str], *, status_callback: str | None = None
    ) -> str:
        from khaya.config import settings

        failing = {p.strip() for p in (settings().get("OUTBOX_FAIL_WHATSAPP") or "").split(",") if p.strip()}
        if to in failing:
            raise DeliveryFailed("whatsapp", "63003")
        text = f"[template {content_sid}] {json.dumps(dict(variables), sort_keys=True)}"
        return self._write(to, "whatsapp", text, {"contentSid": content_sid, "variables": dict(variables)})

    def send_sms(self, to: str, body: str, *, status_callback: str | None = None) -> str:
        return self._write(to, "sms", body, {})


def list_messages(to: str, limit: int = 20) -> list[dict[str, Any]]:
    """The messages sent to ``to`` (E.164), newest first."""
    page = db.query(outbox_pk(to), sk_prefix="MSG#", limit=limit, scope=f"outbox:{to}")
    return [{k: v for k, v in i.items() if k not in ("pk", "sk", "ttl")} for i in page.items]
