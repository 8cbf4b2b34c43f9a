"""Secrets from AWS Secrets Manager, cached in memory for ``SECRETS_CACHE_SECONDS``.

Env vars carry secret *names*; values never pass through the environment, logs or errors.

Deployed, a value is read through the **AWS Parameters and Secrets Lambda Extension** (a layer
AWS publishes; template.yaml attaches it to every function whose role may read a secret):
an HTTP GET to ``localhost:<PARAMETERS_SECRETS_EXTENSION_HTTP_PORT>/secretsmanager/get``
with the function's session token, answered by the extension with the role's own
credentials, and cached there too. The function creates no Secrets Manager client: loading
that client's service model cost 100 to 140 ms on the first request of every list, sign-in and
authorizer container. The extension answers only while the function is invoked, never
during its init, which is where these reads are (on the request path).

Without the port setting (the operator CLI, the in-process tests) a value is read with the
SDK, as before. With the setting but nothing listening on the port (a function deployed without
the extension's layer), the first read finds the connection refused, logs a warning once and
reads with the SDK from then on, for the container's life: slower, never broken. The extension
answering with an error stays a 503. The local stage serves a stand-in of the extension's HTTP API
(``local/secrets_extension.py``), so its functions take the deployed path.

``get_secret(name, fresh=True)`` skips both caches (the extension's too, for up to its TTL):
the authorizer uses it when a token names a key it has not seen, right after a key rotation.
"""

from __future__ import annotations

import time

from khaya.errors import ServiceUnavailable

_cache: dict[str, tuple[float, str]] = {}
_no_extension: list[bool] = []  # nothing listened on the extension's port in this container
# The extension answers from memory; this is the budget for its own first fetch.
EXTENSION_TIMEOUT_SECONDS = 5.0


def get_secret(name: str, *, fresh: bool = False) -> str:
    from khaya.config import settings

    now = time.monotonic()
    hit = None if fresh else _cache.get(name)
    if hit and hit[0] > now:
        return hit[1]
    port = settings().get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
    value = None
    if port and not fresh and not _no_extension:
        value = _from_extension(name, int(port))
    if value is None:
        value = _from_sdk(name)
    _cache[name] = (now + settings().secrets_cache_seconds, value)
    return value


def _from_extension(name: str, port: int) -> str | None:
    """The value, or ``None`` when nothing listens on ``port`` (no extension attached)."""
    import http.client
    import json
    from urllib.parse import quote

    from khaya.config import session_token

    conn = http.client.HTTPConnection("localhost", port, timeout=EXTENSION_TIMEOUT_SECONDS)
    try:
        conn.request(
            "GET",
            f"/secretsmanager/get?secretId={quote(name, safe='')}",
            headers={"X-Aws-Parameters-Secrets-Token": session_token()},
        )
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            # The secret's name is internal: it is logged by the caller's handler, not returned.
            raise ServiceUnavailable()
        return str(json.loads(body)["SecretString"])
    except ConnectionRefusedError:
        import logging

        _no_extension.append(True)
        logging.getLogger(__name__).warning("secrets: no extension on port %d, reading with the SDK", port)
        return None
    except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError) as exc:
        raise ServiceUnavailable() from exc
    finally:
        conn.close()


def _from_sdk(name: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    from khaya.aws import client

    try:
        return str(client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])
    except (ClientError, BotoCoreError) as exc:
        raise ServiceUnavailable() from exc


def reset_secrets() -> None:
    _cache.clear()
    _no_extension.clear()
