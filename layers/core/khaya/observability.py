"""Structured logging and metrics, shared by every function.

* ``logger``: Powertools JSON logger; the wrapper in ``khaya.http`` sets the request id as
  the correlation id. A redaction filter masks anything that looks like a phone number,
  a JWT or a long secret-like token, as a second line of defence: code must still never
  log an OTP, token, password, secret or full phone number on purpose.
* ``metric(name, **dimensions)``: one metric per business event, written at once as one
  CloudWatch Embedded Metric Format line. Stateless on purpose: Powertools' ``Metrics``
  keeps one process-wide metric set, which concurrent invocations (the local gateway runs
  them in threads) would mix up, and it costs import time on every route.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time

from aws_lambda_powertools import Logger

_PHONE = re.compile(r"\+?\d[\d\s-]{7,14}\d")
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_LONG_TOKEN = re.compile(r"\b[A-Za-z0-9_\-]{32,}\b")


def mask_phone(phone: str | None) -> str:
    """``+27821234567`` → ``+27*******67``: enough to tell numbers apart in a log, no more."""
    if not phone:
        return ""
    return phone[:3] + "*" * max(0, len(phone) - 5) + phone[-2:]


def redact(text: str) -> str:
    text = _JWT.sub("[redacted-jwt]", text)
    text = _LONG_TOKEN.sub("[redacted-token]", text)
    return _PHONE.sub(lambda m: mask_phone(re.sub(r"[\s-]", "", m.group(0))), text)


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


logger = Logger(utc=True)
logger.addFilter(_RedactFilter())


def metric(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    """Record one business event (``metric("OtpSent", channel="whatsapp")``) as an EMF line."""
    from khaya.config import settings

    cfg = settings()
    dims = {"service": cfg.service, **{k: str(v) for k, v in dimensions.items()}}
    record = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": cfg.get("POWERTOOLS_METRICS_NAMESPACE") or "Khaya",
                    "Dimensions": [list(dims)],
                    "Metrics": [{"Name": name, "Unit": unit}],
                }
            ],
        },
        **dims,
        name: value,
    }
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
