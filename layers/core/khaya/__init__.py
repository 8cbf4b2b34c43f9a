"""Khaya's shared Lambda layer: config, errors, HTTP plumbing, DynamoDB toolkit and services.

Modules are imported lazily by the functions that need them; nothing here does I/O at import.
Importing the package puts ``khaya.lean_imports`` in place first, so Powertools' package
indexes never load resolvers and utilities a route does not use.

In Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set, which the runtime always does) importing the
package also pauses Python's cyclic garbage collector until the first request starts
(``warm``, called by every entry point: ``khaya.http.make_handler`` and ``entry``). What the
function's imports make (modules, classes, the models built at import) is what the process
keeps, and collecting while it is made only scans it again and again (7 to 11 % of a cold
start in ``bench/``). The first request freezes it (later collections skip it, ``gc.freeze``)
and turns the collector back on: every request, the first included, runs with it. This is the
one environment variable read at import (``khaya.config`` reads the rest, lazily).
"""

import gc
import os

from khaya import lean_imports

lean_imports.install()

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing stays out of the lean functions' cold start
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    Handler = TypeVar("Handler", bound=Callable[..., Any])

_paused = [False]


def pause_collector() -> None:
    """Pause the cyclic collector until ``warm`` (what importing the package does in Lambda)."""
    _paused[0] = True
    gc.disable()


def warm() -> None:
    """A request starts: the first after ``pause_collector`` freezes what the cold start made and
    turns the collector back on; any other is a no-op (whoever else turned it off keeps it off)."""
    if _paused[0]:
        _paused[0] = False
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


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    pause_collector()
