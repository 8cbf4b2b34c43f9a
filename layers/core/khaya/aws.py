"""Lazily created, process-wide boto3 clients.

Clients are made on first use (not at import) and reused across warm invocations.
Endpoints come from botocore's own configuration (``AWS_ENDPOINT_URL_<SERVICE>``), which
is how the local stage points at moto's server without any branch in the code.
"""

from __future__ import annotations

from typing import Any

_clients: dict[str, Any] = {}


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
        import boto3
        from botocore.config import Config

        from khaya.config import settings

        found = boto3.session.Session().client(
            service,  # type: ignore[call-overload]
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
        _clients[key] = found
    return found


def reset_clients() -> None:
    """Drop cached clients (tests switch endpoints and credentials between cases)."""
    _clients.clear()
