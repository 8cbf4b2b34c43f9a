"""Races played in their losing order: real threads and real requests on DynamoDB Local, with
one request stopped at the worst moment while another runs whole.

A condition in a write guards against a change made *between* a request's read and its
write. Threads started together hit that window only by luck; ``Hold`` makes them hit it
every time: it lets the code run unchanged and only pauses the first call of one of its
functions, after that call returns (the read is done, the write is not), until the test
lets it go. So a test proves what a condition decides, and fails every time without it::

    with Hold(jobs, "pending_bids") as held:        # the cancel stops after reading the bids
        cancel = held.start(invoke, "POST", f"/v1/jobs/{job_id}/cancel", CLIENT)
        invoke("POST", f"/v1/bids/{bid_id}/withdraw", WORKER)   # runs whole meanwhile
    status, body = cancel.result()                  # the cancel's write came last

Only the first call is paused, and only in the thread ``start`` made: the same function called
by the other requests, or again by a retry of the held one, runs straight through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType, TracebackType
from typing import Any

WAIT_S = 60.0


class Outcome:
    """What a request run in another thread answered (or raised)."""

    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread
        self.value: Any = None
        self.error: BaseException | None = None

    def result(self) -> Any:
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive(), "the held request never finished"
        if self.error is not None:
            raise self.error
        return self.value


class Hold:
    """Pause the first call of ``module.name`` made by the thread ``start`` runs, just after it
    returns, until the ``with`` block ends (or ``release``)."""

    def __init__(self, module: ModuleType, name: str) -> None:
        self.module, self.name = module, name
        self.real: Callable[..., Any] = getattr(module, name)
        self.reached = threading.Event()
        self.released = threading.Event()
        self._thread: threading.Thread | None = None
        self._used = False
        self._lock = threading.Lock()

    def _wrapper(self, *args: Any, **kwargs: Any) -> Any:
        value = self.real(*args, **kwargs)
        with self._lock:
            mine = not self._used and threading.current_thread() is self._thread
            self._used = self._used or mine
        if mine:
            self.reached.set()
            assert self.released.wait(WAIT_S), "the held request was never released"
        return value

    def start(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
        """Run ``fn(*args, **kwargs)`` in a thread and wait until it is paused here."""
        box: list[Outcome] = []

        def run() -> None:
            try:
                box[0].value = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the test by ``result``
                box[0].error = exc
            finally:
                self.reached.set()  # a request that never reached the pause does not hang the test

        thread = threading.Thread(target=run, name=f"held-{self.name}", daemon=True)
        box.append(Outcome(thread))
        self._thread = thread
        thread.start()
        assert self.reached.wait(WAIT_S), f"the request never called {self.name}"
        assert thread.is_alive() and box[0].error is None, f"the request ended before {self.name}: {box[0].error!r}"
        return box[0]

    def release(self) -> None:
        self.released.set()

    def __enter__(self) -> Hold:
        setattr(self.module, self.name, self._wrapper)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
        setattr(self.module, self.name, self.real)
