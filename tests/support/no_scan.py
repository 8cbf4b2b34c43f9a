"""No test may Scan the table: a guard on every botocore client call, for the whole suite.

``no_scan`` is an autouse fixture (imported by tests/conftest.py): any DynamoDB ``Scan``
(or PartiQL ``ExecuteStatement``, which scans when it has no key) made while a test runs
fails that test, whichever client made it (khaya's, a test's, moto in-process or moto's
server — calls are seen in the caller's process, before they go anywhere).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

FORBIDDEN = frozenset({"Scan", "ExecuteStatement", "BatchExecuteStatement"})
_seen: list[str] = []
_lock = threading.Lock()


def install() -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    if getattr(original, "_khaya_no_scan", False):
        return

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name in FORBIDDEN and self.meta.service_model.service_name == "dynamodb":
            with _lock:
                _seen.append(f"dynamodb.{operation_name}")
        return original(self, operation_name, api_params)

    _make_api_call._khaya_no_scan = True  # type: ignore[attr-defined]
    BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


def take_seen() -> list[str]:
    """The forbidden calls seen so far in this test (and forget them)."""
    with _lock:
        found = list(_seen)
        _seen.clear()
    return found


@pytest.fixture(autouse=True)
def no_scan() -> Iterator[None]:
    install()
    take_seen()
    yield
    found = take_seen()
    if found:
        pytest.fail(f"this test made DynamoDB calls that scan: {found} (query a key or an index instead)")
