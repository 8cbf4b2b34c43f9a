"""What runs inside each benchmark child process (and the DynamoDB call counter).

The parent (``bench.run``) executes this file's *source* with ``python -c`` so that the
child's ``sys.path`` is exactly what Lambda gives a function: the function's code dir
(``/var/task``, also the working directory), then the layer dir(s) from ``PYTHONPATH``,
then the runtime's own packages (boto3 comes from the venv, as it comes from the Lambda
runtime). Nothing from the repository leaks in. Only the standard library is imported at
the top, and only ``json``/``os``/``sys``/``time``, which Lambda's own bootstrap has
loaded before it imports a handler.

Modes (``spec["mode"]``):

* ``cold``: import the handler module, serve one event, report ``import_ms`` and
  ``invoke_ms`` measured here, and ``cpu_ms``, the process's CPU time up to the first
  response. The parent times spawn → this report.
* ``warm``: import, serve the event once, then serve it ``warm_runs`` more times and
  report each duration; with ``count`` the DynamoDB calls of the first and of a warm
  request are recorded through botocore's event hooks (``provide-client-params``) on
  every client the handler creates. ``profile`` adds a cProfile of the warm loop.

The report is one JSON line written to the file descriptor ``spec["fd"]``, so whatever
the handler logs to stdout stays out of it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

DDB_SERVICE = "dynamodb"


def _jsonable(value: Any) -> Any:
    """API params → JSON (bytes become ``{"__b64__": ...}``; sets become lists)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        import base64

        return {"__b64__": base64.b64encode(bytes(value)).decode("ascii")}
    return value


class CallCounter:
    """Record every DynamoDB operation made by any botocore client created while active.

    Clients are hooked when they are created (``Session.create_client`` is wrapped only to
    *attach* the hooks); the counting itself is botocore's ``provide-client-params.dynamodb.*``
    event, emitted once per API call with the caller's parameters, and ``after-call`` closes
    the call's timer (``ddb_ms``: time from the call's parameters to its parsed response).
    Clients that already exist can be hooked with ``attach(client)``. While ``record`` is
    false only the time is kept (the warm loop), so the hook costs both sides the same.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.record = True
        self.ddb_ms = 0.0
        self._started = 0.0
        self._original: Any = None

    @property
    def operations(self) -> list[str]:
        return [c["operation"] for c in self.calls]

    def clear(self) -> None:
        self.calls.clear()
        self.ddb_ms = 0.0

    def _on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._started = time.perf_counter()
        if self.record:
            self.calls.append({"operation": model.name, "params": _jsonable(params)})

    def _on_done(self, **_: Any) -> None:
        self.ddb_ms += (time.perf_counter() - self._started) * 1000

    def attach(self, client: Any) -> Any:
        if client.meta.service_model.service_name == DDB_SERVICE:
            client.meta.events.register(f"provide-client-params.{DDB_SERVICE}.*", self._on_params)
            client.meta.events.register(f"after-call.{DDB_SERVICE}.*", self._on_done)
        return client

    def __enter__(self) -> CallCounter:
        import botocore.session

        original = botocore.session.Session.create_client
        counter = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            return counter.attach(original(session, *args, **kwargs))

        self._original = original
        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        import botocore.session

        botocore.session.Session.create_client = self._original  # type: ignore[method-assign]


class Context:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 256
        self.invoked_function_arn = f"arn:aws:lambda:af-south-1:123456789012:function:{function_name}"
        self.aws_request_id = "bench-0000"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _status(result: Any) -> Any:
    if isinstance(result, dict):
        if "statusCode" in result:
            return result["statusCode"]
        if "isAuthorized" in result:  # an authorizer's simple response
            return "allow" if result["isAuthorized"] else "deny"
    return type(result).__name__


def main(spec: dict[str, Any]) -> dict[str, Any]:
    import copy
    import importlib

    with open(spec["event_file"], encoding="utf-8") as fh:
        event = json.load(fh)
    ctx = Context(spec["function_name"])
    counter = CallCounter() if spec.get("count") else None
    if counter is not None:
        counter.__enter__()
    out: dict[str, Any] = {}

    t_import = time.perf_counter()
    module = importlib.import_module(spec["module"])
    handler = getattr(module, spec["attr"])
    t_invoke = time.perf_counter()
    result = handler(copy.deepcopy(event) if spec["mode"] == "warm" else event, ctx)
    t_done = time.perf_counter()
    banned = set(spec.get("forbidden", ()))
    out.update(
        import_ms=(t_invoke - t_import) * 1000,
        invoke_ms=(t_done - t_invoke) * 1000,
        # CPU of the whole process so far (interpreter start-up, import, first response): unlike
        # the wall clock, waiting for a core another process holds does not inflate it
        cpu_ms=time.process_time() * 1000,
        status=_status(result),
        foreign=_foreign_modules(spec.get("leak_check", {})),
        # modules the function may not load (bench/budgets.py), loaded by the first response
        forbidden=sorted({m if m in banned else m.split(".", 1)[0] for m in list(sys.modules) if _banned(m, banned)}),
    )
    if spec["mode"] != "warm":
        return out

    if counter is not None:
        out["first_calls"] = list(counter.calls)
        counter.clear()
        handler(copy.deepcopy(event), ctx)
        out["warm_calls"] = list(counter.calls)
        counter.record = False
    events = [copy.deepcopy(event) for _ in range(spec["warm_runs"])]
    profiler = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    durations = []
    ddb = []
    perf = time.perf_counter
    for ev in events:
        if counter is not None:
            counter.ddb_ms = 0.0
        start = perf()
        handler(ev, ctx)
        durations.append((perf() - start) * 1000)
        if counter is not None:
            ddb.append(counter.ddb_ms)
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats("cumulative").print_stats(spec.get("profile_lines", 40))
        stats.sort_stats("tottime").print_stats(spec.get("profile_lines", 40))
        out["profile"] = buf.getvalue()
    if counter is not None:
        counter.__exit__()
    out["ddb_ms"] = ddb
    out["warm_ms"] = durations
    return out


def _banned(module: str, banned: set[str]) -> bool:
    """``module`` is forbidden, or inside a forbidden package (bench/budgets.py)."""
    return module in banned or module.split(".", 1)[0] in banned


def _foreign_modules(check: dict[str, Any]) -> list[str]:
    """Top-level packages the handler loaded from the runtime's site-packages that the Lambda
    runtime does not provide: a dependency the artifact lacks but this venv happens to have."""
    root = check.get("runtime_root")
    if not root:
        return []
    allowed = set(check.get("runtime_packages", []))
    found = set()
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None) or ""
        top = name.split(".", 1)[0]
        if path.startswith(root) and top not in allowed:
            found.add(top)
    return sorted(found)


if __name__ == "__main__":
    _spec = json.loads(os.environ["BENCH_SPEC"])
    try:
        _report = main(_spec)
    except BaseException as exc:  # report, do not hang the parent
        import traceback

        _report = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    with os.fdopen(_spec["fd"], "w") as _fh:
        _fh.write(json.dumps(_report) + "\n")
