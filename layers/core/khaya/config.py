"""Settings: where the layer reads ``os.environ`` (besides ``khaya/__init__.py``, which looks
at ``AWS_LAMBDA_FUNCTION_NAME`` to pause the garbage collector for a cold start).

Read lazily (first call of ``settings()``), never at import time, into a frozen object.
Secrets are *not* env values: env vars carry the secret's name, and ``khaya.secrets``
fetches and caches the value.
"""

from __future__ import annotations

import os
from functools import lru_cache

STAGES = ("local", "dev", "staging", "prod")
# Never copied into Settings: nothing downstream has a reason to see them.
_CREDENTIAL_VARS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
_FIELDS = (
    "stage",
    "table_name",
    "service",
    "version",
    "region",
    "cursor_secret_name",
    "secrets_cache_seconds",
    "max_body_bytes",
    "extra",
)


class Settings:
    """Read-only settings. A plain class, not a dataclass: ``dataclasses`` imports ``inspect``,
    which the routes that need nothing else (the constant ones) would pay for on a cold start."""

    __slots__ = _FIELDS

    stage: str
    table_name: str
    service: str
    version: str
    region: str
    cursor_secret_name: str
    secrets_cache_seconds: int
    max_body_bytes: int
    extra: dict[str, str]

    def __init__(
        self,
        *,
        stage: str,
        table_name: str,
        service: str,
        version: str,
        region: str,
        cursor_secret_name: str,
        secrets_cache_seconds: int,
        max_body_bytes: int,
        extra: dict[str, str],
    ) -> None:
        values = locals()
        for name in _FIELDS:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("settings are read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("settings are read-only")

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def get(self, name: str, default: str | None = None) -> str | None:
        """An optional, domain-specific setting (for example ``TWILIO_CONTENT_SID``)."""
        return self.extra.get(name, default)

    def require(self, name: str) -> str:
        value = self.extra.get(name)
        if not value:
            raise RuntimeError(f"setting {name} is not configured")
        return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    stage = env.get("STAGE", "local")
    if stage not in STAGES:
        raise RuntimeError(f"STAGE must be one of {STAGES}")
    return Settings(
        stage=stage,
        table_name=env.get("TABLE_NAME", "khaya-local"),
        service=env.get("POWERTOOLS_SERVICE_NAME", "khaya"),
        version=env.get("APP_VERSION", "0.0.0-dev"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "af-south-1",
        cursor_secret_name=env.get("CURSOR_SECRET_NAME", f"khaya/{stage}/cursor-key"),
        secrets_cache_seconds=int(env.get("SECRETS_CACHE_SECONDS", "300")),
        max_body_bytes=int(env.get("MAX_BODY_BYTES", str(256 * 1024))),
        extra={k: v for k, v in env.items() if k.isupper() and k not in _CREDENTIAL_VARS},
    )


def session_token() -> str:
    """The function's current session token (never stored in ``Settings``): the AWS Parameters
    and Secrets Lambda Extension authenticates its caller by it."""
    return os.environ.get("AWS_SESSION_TOKEN", "")


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    settings.cache_clear()
