"""Lazily created, process-wide boto3 clients.

Clients are made on first use (not at import) and reused across warm invocations.
Endpoints come from botocore's own configuration (``AWS_ENDPOINT_URL_<SERVICE>``), which
is how the local stage points at moto's server without any branch in the code.
"""

from __future__ import annotations

from typing import Any

_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is None:
        import boto3
        from botocore.config import Config

        from khaya.config import settings

        found = boto3.session.Session().client(
            service,  # type: ignore[call-overload]
            region_name=settings().region,
            config=Config(
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=2,
                read_timeout=5,
                tcp_keepalive=True,
            ),
        )
        _clients[service] = found
    return found


def reset_clients() -> None:
    """Drop cached clients (tests switch endpoints and credentials between cases)."""
    _clients.clear()
