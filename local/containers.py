"""In-process pools of warm "containers" per function (the stream consumer's unit tests).

The local gateway runs each container as a process of its own (``local.runtime``); this
in-process variant lets a test reach into the consumer module it invoked.

A free container is reused (its module, resolver and caches stay warm); when every
container of a function is busy a new one is started (a fresh module object), so two
concurrent requests to one function run concurrently and never share a resolver.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.cfn import FunctionDef
from local.events import LambdaContext
from local.loader import Handler, load_handler


class FunctionPool:
    def __init__(self, fn: FunctionDef) -> None:
        self.fn = fn
        self._lock = threading.Lock()
        self._free: list[int] = []
        self._started = 0

    @property
    def started(self) -> int:
        return self._started

    @contextmanager
    def container(self) -> Iterator[Handler]:
        with self._lock:
            if self._free:
                instance = self._free.pop()
            else:
                instance = self._started
                self._started += 1
        ok = False
        try:
            try:
                handler = load_handler(self.fn, instance)  # cached per instance after the first load
            except BaseException:
                sys.modules.pop(f"_khaya_fn_{self.fn.logical_id}_{instance}", None)  # no half-made module
                raise
            ok = True
            yield handler
        finally:
            # A container whose init failed is not kept (Lambda would retry the init next time).
            if ok:
                with self._lock:
                    self._free.append(instance)

    def invoke(self, event: dict[str, Any]) -> Any:
        props = self.fn.properties
        ctx = LambdaContext(
            f"khaya-local-{self.fn.logical_id}",
            memory_mb=int(props.get("MemorySize", 256)) if isinstance(props.get("MemorySize"), int) else 256,
            timeout_s=int(props.get("Timeout", 10)) if isinstance(props.get("Timeout"), int) else 10,
        )
        with self.container() as handler:
            return handler(event, ctx)


class Pools:
    def __init__(self, fns: list[FunctionDef]) -> None:
        self._pools = {fn.logical_id: FunctionPool(fn) for fn in fns}

    def __getitem__(self, logical_id: str) -> FunctionPool:
        return self._pools[logical_id]

    def __contains__(self, logical_id: object) -> bool:
        return logical_id in self._pools
