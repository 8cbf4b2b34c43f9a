"""Count the DynamoDB operations code makes, through botocore's event hooks.

    with count_calls() as calls:
        call_route("GET", "/v1/jobs", ...)
    assert calls.ops == ["Query"]
    assert "Scan" not in calls.ops

Hooks ``before-call.dynamodb.*`` on the client ``khaya.aws`` hands out: the one cached now
and any created while the block runs (``reset_clients()`` inside the block is fine).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallLog:
    ops: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, name: str) -> None:
        with self._lock:
            self.ops.append(name)

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.ops)

    @property
    def total(self) -> int:
        return len(self.ops)

    def clear(self) -> None:
        with self._lock:
            self.ops.clear()


@contextmanager
def count_calls(service: str = "dynamodb") -> Iterator[CallLog]:
    import khaya.aws as aws

    log = CallLog()
    event = f"before-call.{service}.*"
    unique_id = f"khaya-count-calls-{id(log)}"
    hooked: list[Any] = []

    def on_call(model: Any, **_: Any) -> None:
        log.record(model.name)

    def attach(client: Any) -> None:
        if client.meta.service_model.service_name == service and all(c is not client for c in hooked):
            client.meta.events.register(event, on_call, unique_id=unique_id)
            hooked.append(client)

    class _HookingDict(dict[str, Any]):
        def __setitem__(self, key: str, value: Any) -> None:
            attach(value)
            super().__setitem__(key, value)

    original = aws._clients
    hooking = _HookingDict(original)  # the constructor copies without __setitem__
    for existing in original.values():
        attach(existing)
    aws._clients = hooking
    try:
        yield log
    finally:
        # Put back the module's own dict, holding whatever clients exist now.
        original.clear()
        original.update(hooking)
        aws._clients = original
        for client in hooked:
            client.meta.events.unregister(event, unique_id=unique_id)
