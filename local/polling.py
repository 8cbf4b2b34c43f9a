"""A background thread that calls ``poll_once()`` every ``interval`` seconds until stopped:
the event source mappings' pollers (``local.streams``, ``local.queues``) share it.

``settle()`` waits until the poller is idle: a whole poll begun after the call found nothing
to deliver (for tests that must not measure a request while a consumer still works).
"""

from __future__ import annotations

import sys
import threading
import time
import traceback


class Poller:
    name = "poller"
    interval = 0.5
    sources: list[object]

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()  # poll now, not at the end of the interval
        self._rounds = threading.Condition()
        self._started = 0  # polls begun
        self._quiet = 0  # the latest poll that found nothing to deliver
        self._thread: threading.Thread | None = None

    def poll_once(self) -> int:
        """Deliver what is there; return how many batches were invoked."""
        raise NotImplementedError

    def start(self) -> None:
        if not self.sources:
            return
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def settle(self, timeout: float = 30.0) -> bool:
        """True once a whole poll begun after this call found nothing to deliver; False if
        that takes over ``timeout`` seconds."""
        if not self.sources:
            return True
        deadline = time.monotonic() + timeout
        with self._rounds:
            asked = self._started
            while self._quiet <= asked:
                self._wake.set()
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return False
                self._rounds.wait(min(left, self.interval))
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._rounds:
                self._started += 1
                this = self._started
            try:
                invoked = self.poll_once()
            except Exception:
                invoked = -1
                print(f"{self.name}: " + traceback.format_exc(limit=3), file=sys.stderr, flush=True)
            with self._rounds:
                if invoked == 0:
                    self._quiet = this
                self._rounds.notify_all()
            self._wake.wait(self.interval)
            self._wake.clear()
