"""Invoke the function serving a route in this process, in a "container" of its own, as the race
tests do (many requests at once, one thread and one module instance each, as on Lambda)."""

from __future__ import annotations

import json
import threading
from typing import Any

from local.cfn import functions
from local.events import LambdaContext, http_event, match_path
from local.loader import load_handler

_instances = iter(range(1000, 10**9))
_lock = threading.Lock()
_mine = threading.local()


def _container() -> int:
    """This thread's container: the same one for every call a thread makes."""
    if not hasattr(_mine, "instance"):
        with _lock:
            _mine.instance = 0 if threading.current_thread() is threading.main_thread() else next(_instances)
    return int(_mine.instance)


def invoke(
    method: str,
    path: str,
    who: dict[str, str] | None = None,
    body: Any = None,
    *,
    instance: int | None = None,
    source_ip: str = "198.51.100.7",
) -> tuple[int, Any]:
    """Run the function serving ``method path`` as ``who`` (an authorizer context, or nobody) →
    (status, JSON body). Each thread has its own container unless ``instance`` is given."""
    if instance is None:
        instance = _container()
    routes = [(fn, r) for fn in functions() for r in fn.routes if r.method == method and r.path != "$default"]
    # Static paths before parameterised ones, as API Gateway matches (/v1/jobs/search, not /v1/jobs/{id}).
    routes.sort(key=lambda pair: "{" in pair[1].path)
    for fn, route in routes:
        if route.path == path or match_path(route.path, path) is not None:
            event = http_event(method, path, route_path=route.path, body=body, authorizer=who, source_ip=source_ip)
            raw = load_handler(fn, instance)(event, LambdaContext(fn.logical_id))
            return int(raw["statusCode"]), json.loads(raw["body"]) if raw.get("body") else None
    raise LookupError(f"{method} {path}")


def race(calls: list[tuple[str, str, dict[str, str] | None, Any]]) -> list[tuple[int, Any]]:
    """Start every call at once (a barrier), each in its own thread and container."""
    results: list[tuple[int, Any] | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        method, path, who, body = calls[i]
        barrier.wait()
        results[i] = invoke(method, path, who, body)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]
