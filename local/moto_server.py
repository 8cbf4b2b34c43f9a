"""moto's threaded server, made atomic per request as DynamoDB is.

moto is not atomic: two threads inside one conditional ``UpdateItem`` can both pass the
condition, while DynamoDB applies every single-item write and every transaction
atomically. This server applies one request at a time; connections are still served by
concurrent threads, so what spans two calls (read-then-write) stays as racy as in
production. Used by the local gateway and by the race tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.server import ThreadedMotoServer


class AtomicMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def atomic(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, atomic, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
