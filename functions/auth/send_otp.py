"""Table stream consumer (SendOtpFunction): sends the one-time codes ``POST /v1/auth/otp`` queued.

Reports partial batch failures; each record is sent at most once (see ``khaya.identity.otp``).
"""

from typing import Any

from khaya import entry
from khaya.identity.accounts import send_queued_codes


@entry
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": send_queued_codes(event.get("Records") or [])}
