"""Secrets from AWS Secrets Manager, cached in memory for ``SECRETS_CACHE_SECONDS``.

Env vars carry secret *names*; values never pass through the environment, logs or errors.
"""

from __future__ import annotations

import time

from khaya.errors import ServiceUnavailable

_cache: dict[str, tuple[float, str]] = {}


def get_secret(name: str) -> str:
    from khaya.config import settings

    now = time.monotonic()
    hit = _cache.get(name)
    if hit and hit[0] > now:
        return hit[1]
    from botocore.exceptions import BotoCoreError, ClientError

    from khaya.aws import client

    try:
        value = client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    except (ClientError, BotoCoreError) as exc:
        # The secret's name is internal: it is logged by the caller's handler, not returned.
        raise ServiceUnavailable() from exc
    _cache[name] = (now + settings().secrets_cache_seconds, value)
    return str(value)


def forget_secret(name: str) -> None:
    """Drop one cached value, so the next ``get_secret`` reads it again (key rotation)."""
    _cache.pop(name, None)


def reset_secrets() -> None:
    _cache.clear()
