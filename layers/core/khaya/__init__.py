"""Khaya's shared Lambda layer: config, errors, HTTP plumbing, DynamoDB toolkit and services.

Modules are imported lazily by the functions that need them; nothing here does I/O at import.
Importing the package puts ``khaya.lean_imports`` in place first, so Powertools' package
indexes never load resolvers and utilities a route does not use.

In Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set) importing the package also pauses Python's cyclic
garbage collector until the first request starts (``entry``): a cold start's imports, SDK
clients and models are what the process keeps, and collecting while they are made only scans
them, again and again (7 to 11 % of a cold start's CPU in ``bench/``). The first request
freezes what the cold start made (later collections skip it, ``gc.freeze``) and turns the
collector back on, so every request runs with it.
"""

import gc
import os

from khaya import lean_imports

lean_imports.install()

if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    gc.disable()

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing stays out of the lean functions' cold start
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    Handler = TypeVar("Handler", bound=Callable[..., Any])


def warm() -> None:
    """The cold start is over: freeze what it made and collect again (a no-op once done)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def entry(handler: "Handler") -> "Handler":
    """A Lambda handler whose first request ends the cold start's pause of the collector."""

    def run(event: "Any", context: "Any") -> "Any":
        warm()
        return handler(event, context)

    run.__name__, run.__qualname__, run.__doc__ = handler.__name__, handler.__qualname__, handler.__doc__
    run.__wrapped__ = handler  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]
