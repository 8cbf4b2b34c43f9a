"""Lambda authorizer for the HTTP API (REQUEST, payload 2.0, simple responses).

Verifies the access token and the user's state; see ``khaya.identity.authorizer``. Kept free of
pydantic and Powertools: its cold start is on the path of every first request.
"""

from typing import Any

from khaya import entry
from khaya.identity.authorizer import authorize


@entry
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorize(event)
