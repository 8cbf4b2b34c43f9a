"""Lambda authorizer for the HTTP API (REQUEST, payload 2.0, simple responses).

Placeholder until the identity work lands: it denies every request, so no protected route
can be reached without a verified identity.
"""

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"isAuthorized": False}
