"""Platform services: health."""

from __future__ import annotations

from typing import Any

from khaya.errors import ServiceUnavailable
from khaya.observability import logger


def check_health() -> Any:
    """``ok`` when the table answers a consistent read of one key; 503 otherwise."""
    from botocore.exceptions import BotoCoreError, ClientError

    from khaya.aws import client
    from khaya.config import settings

    cfg = settings()
    try:
        client("dynamodb").get_item(
            TableName=cfg.table_name,
            Key={"pk": {"S": "HEALTH"}, "sk": {"S": "HEALTH"}},
            ProjectionExpression="pk",
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning("health: table unreachable", extra={"errorType": type(exc).__name__})
        raise ServiceUnavailable("The database is unreachable.", code="dependency_unavailable") from exc
    return {"status": "ok", "version": cfg.version, "stage": cfg.stage}
