"""A background thread that calls ``poll_once()`` every ``interval`` seconds until stopped:
the event source mappings' pollers (``local.streams``, ``local.queues``) share it."""

from __future__ import annotations

import sys
import threading
import traceback


class Poller:
    name = "poller"
    interval = 0.5
    sources: list[object]

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        if not self.sources:
            return
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                print(f"{self.name}: " + traceback.format_exc(limit=3), file=sys.stderr, flush=True)
            self._stop.wait(self.interval)
