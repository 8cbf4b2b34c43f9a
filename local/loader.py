"""Load a function's handler module the way Lambda does: from its file, once per container.

Each "container" is a separate module object (``instance``), so two concurrent local
invocations of one function never share a resolver, just as on Lambda.
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
    attr = fn.handler.rsplit(".", 1)[1]
    handler: Handler = getattr(load_module(fn, instance), attr)
    return handler


def function_by_id(logical_id: str) -> FunctionDef:
    for fn in functions():
        if fn.logical_id == logical_id:
            return fn
    raise KeyError(logical_id)
