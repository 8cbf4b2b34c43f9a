"""Lazily created, process-wide AWS clients (botocore's, which boto3's are).

Clients are made on first use (not at import) and reused across warm invocations.
Endpoints come from botocore's own configuration (``AWS_ENDPOINT_URL_<SERVICE>``), which
is how the local stage points at moto's server without any branch in the code.

Every client comes from one botocore session per process. A session loads what all services
share once (the endpoint and partition data, the list of services, the defaults), and its
loader keeps each file it read: a second client, of another service (S3 for a presigned URL
after DynamoDB) or of the same one with other timeouts, loads only its own service model. A
session of its own per client read all of that again, on the first request of every function
that makes two clients.

The session is botocore's own, not boto3's: a boto3 session makes the same clients (it passes
every argument through) but importing boto3 imports s3transfer and its resource model, and an
S3 client from it loads boto3's transfer methods (``upload_file``...), which no route uses:
about 30 ms of CPU on every cold start, and 14 more where a URL is presigned.
"""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
_session: list[Any] = []  # the process's botocore session, made with the first client
# A session is not safe to make clients from in two threads at once (the local gateway
# serves requests in threads); the clients it makes are.
_lock = threading.Lock()


def client(
    service: str,
    *,
    region: str | None = None,
    connect_timeout: float = 2,
    read_timeout: float = 5,
    total_attempts: int | None = None,
) -> Any:
    """The process-wide client of ``service`` (botocore ``standard`` retries: 3 after the first
    attempt). A call that needs its own region, timeouts or ``total_attempts`` (first one
    included), to fit a route's time budget, gets a client of its own, made once for those."""
    options = (region, connect_timeout, read_timeout, total_attempts)
    key = service if options == (None, 2, 5, None) else "|".join(map(str, (service, *options)))
    found = _clients.get(key)
    if found is None:
        with _lock:
            found = _clients.get(key)
            if found is None:
                found = _clients[key] = _make(service, region, connect_timeout, read_timeout, total_attempts)
    return found


def _make(
    service: str, region: str | None, connect_timeout: float, read_timeout: float, total_attempts: int | None
) -> Any:
    import botocore.session
    from botocore.config import Config

    from khaya.config import settings

    if not _session:
        _session.append(botocore.session.get_session())
    return _session[0].create_client(
        service,
        region_name=region or settings().region,
        config=Config(
            retries=(
                {"mode": "standard", "total_max_attempts": total_attempts}
                if total_attempts
                else {"mode": "standard", "max_attempts": 3}
            ),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            tcp_keepalive=True,
        ),
    )


def reset_clients() -> None:
    """Drop cached clients and the session (tests switch endpoints and credentials between
    cases; a session keeps the credentials it resolved)."""
    with _lock:
        _clients.clear()
        _session.clear()
