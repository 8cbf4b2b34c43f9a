"""``GET /_dev/outbox?to=+27…``: the WhatsApp/SMS messages the local stage "sent", newest first.

Local only (registered through ``local.dev_routes.EXTENSIONS``; template.yaml has no such
route). Functions run with ``MESSAGING_BACKEND=outbox``, so ``khaya.messaging.outbox`` writes
each message to the table this route reads.
"""

from __future__ import annotations

import json
from typing import Any

from local.dev_routes import DevContext, dev_route


def _reply(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


@dev_route("GET", "/_dev/outbox")
def outbox(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    from khaya.errors import AppError
    from khaya.messaging.outbox import list_messages
    from khaya.phones import normalize_phone

    raw = str((event.get("queryStringParameters") or {}).get("to") or "")
    if raw.startswith(" ") and raw.strip().isdigit():
        raw = "+" + raw.strip()  # an unencoded "+" in a query string arrives as a space
    try:
        phone = normalize_phone(raw, field="to")
        limit = max(1, min(100, int((event.get("queryStringParameters") or {}).get("limit") or 20)))
    except (AppError, ValueError):
        return _reply(400, {"error": {"code": "validation_error", "message": "to: a mobile number is required"}})
    return _reply(200, {"items": list_messages(phone, limit=limit)})
