"""Capture what the functions log, exactly as CloudWatch would receive it (formatted JSON lines)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Every line the shared logger emits (filters and formatter applied) while the block runs."""
    from khaya.observability import logger

    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logger.registered_formatter)
    inner = logger._logger  # the stdlib logger Powertools wraps
    inner.addHandler(handler)
    try:
        yield buf
    finally:
        inner.removeHandler(handler)
