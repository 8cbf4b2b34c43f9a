"""No code under test may Scan the table: a guard on khaya's DynamoDB calls, for the whole suite.

``no_scan`` is an autouse fixture (imported by tests/conftest.py): any DynamoDB ``Scan``
(or PartiQL ``ExecuteStatement``, which scans when it has no key) made by the code under
test — a call whose stack runs through ``layers/``, ``functions/`` or ``local/`` — while a
test runs fails that test, whether the table is moto in-process or moto's server. A test
helper that reads the whole table to prove nothing was written is the test's business,
not the code's, and is not counted.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
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
        if (
            operation_name in FORBIDDEN
            and self.meta.service_model.service_name == "dynamodb"
            and _from_code_under_test()
        ):
            with _lock:
                _seen.append(f"dynamodb.{operation_name}")
        return original(self, operation_name, api_params)

    _make_api_call._khaya_no_scan = True  # type: ignore[attr-defined]
    BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


_CODE_DIRS = tuple(str(Path(__file__).resolve().parents[2] / d) for d in ("layers", "functions", "local"))


def _from_code_under_test() -> bool:
    """Some frame of the call stack is the layer, a function or the local stage (not a test)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(_CODE_DIRS) and not name.endswith("khaya/aws.py"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


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
