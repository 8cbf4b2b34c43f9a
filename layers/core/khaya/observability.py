"""Structured logging and metrics, shared by every function.

* ``logger``: Powertools JSON logger; the wrapper in ``khaya.http`` sets the request id as
  the correlation id. A redaction filter masks anything that looks like a phone number,
  a JWT or a long secret-like token, as a second line of defence: code must still never
  log an OTP, token, password, secret or full phone number on purpose.
* ``metric(name)``: one metric per business event, flushed by the handler wrapper as EMF.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

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
metrics = Metrics()


def metric(name: str, value: float = 1, unit: Any = MetricUnit.Count, **dimensions: str) -> None:
    """Record one business event (``metric("OtpSent", channel="whatsapp")``)."""
    if dimensions:
        single = Metrics(namespace=metrics.namespace)
        for key, val in dimensions.items():
            single.add_dimension(key, val)
        single.add_metric(name=name, unit=unit, value=value)
        single.flush_metrics(raise_on_empty_metrics=False)
    else:
        metrics.add_metric(name=name, unit=unit, value=value)


def flush_metrics() -> None:
    if metrics.metric_set:
        metrics.flush_metrics(raise_on_empty_metrics=False)
