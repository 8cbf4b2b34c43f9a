"""Load a function's handler in this process, from its file, once per "container".

Each "container" is a separate module object (``instance``), so two concurrent
invocations of one function never share a resolver. This is how the tests invoke
functions in-process; every invocation runs with only that function's environment
(``local.lambda_env.isolated``) and its AWS calls are attributed to it
(``local.aws_calls``). The local gateway runs functions in processes of their own instead
(``local.runtime``).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from local.cfn import ROOT, FunctionDef, functions
from local.isolation import isolate_invocations

Handler = Callable[[dict[str, Any], Any], Any]


def ensure_paths() -> None:
    layer = str(ROOT / "layers" / "core")
    if layer not in sys.path:
        sys.path.insert(0, layer)


def load_module(fn: FunctionDef, instance: int = 0) -> ModuleType:
    ensure_paths()
    isolate_invocations()  # containers share one process here: keep their requests apart
    name = f"_khaya_fn_{fn.logical_id}_{instance}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, fn.module_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {fn.module_path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_handler(fn: FunctionDef, instance: int = 0) -> Handler:
    """The handler of ``fn`` as an invoker: each call runs as an invocation of ``fn`` only."""
    from local.aws_calls import attributed
    from local.lambda_env import isolated

    attr = fn.handler.rsplit(".", 1)[1]
    module = load_module(fn, instance)

    def invoke(event: dict[str, Any], context: Any) -> Any:
        with isolated(fn), attributed(fn.logical_id):
            return getattr(module, attr)(event, context)

    return invoke


def function_by_id(logical_id: str) -> FunctionDef:
    for fn in functions():
        if fn.logical_id == logical_id:
            return fn
    raise KeyError(logical_id)
