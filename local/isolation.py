"""Keep concurrent local invocations apart, as Lambda's one-request-per-process does.

Locally one process serves many requests at once, each function "container" a module
instance (``local.loader``), while the layer's modules and the libraries are shared. Powertools'
HTTP resolver keeps the event it is resolving in class attributes (``BaseRouter.current_event``
and ``lambda_context``): process-wide, which is harmless on Lambda, where a process serves one
request at a time, but locally two concurrent requests would read each other's body and path
parameters (seen as a signup creating one phone number twice and another not at all).
``isolate_invocations()`` makes those two attributes per thread; the gateway serves each request
on its own thread, as the tests' races do.
"""

from __future__ import annotations

import threading
from typing import Any

_FIELDS = ("current_event", "lambda_context")
_state = threading.local()


class _PerThread:
    """A class attribute whose value belongs to the thread that set it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        try:
            return getattr(_state, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(_state, self.name, value)


def isolate_invocations() -> None:
    """Idempotent; call before any handler runs."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if isinstance(BaseRouter.__dict__.get("current_event"), _PerThread):
        return
    base_meta = type(BaseRouter)

    class _PerThreadFields(base_meta):  # type: ignore[misc, valid-type]
        def __setattr__(cls, name: str, value: Any) -> None:
            # ``BaseRouter.current_event = event`` (what the resolver does) lands in this thread only.
            if name in _FIELDS and cls is BaseRouter:
                setattr(_state, name, value)
                return
            super().__setattr__(name, value)

    for name in _FIELDS:
        type.__setattr__(BaseRouter, name, _PerThread(name))
    BaseRouter.__class__ = _PerThreadFields
