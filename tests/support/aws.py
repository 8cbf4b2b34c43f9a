"""Test AWS environment: moto in-process, with the table created from template.yaml."""

from __future__ import annotations

import os
import secrets as pysecrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.cfn import table_create_kwargs, ttl_attribute

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "af-south-1",
    "AWS_REGION": "af-south-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "STAGE": "local",
    "TABLE_NAME": "khaya-test",
    "CURSOR_SECRET_NAME": "khaya/local/cursor-key",
    "POWERTOOLS_SERVICE_NAME": "khaya",
    "POWERTOOLS_METRICS_NAMESPACE": "Khaya",
    "APP_VERSION": "test",
}

# Secrets every stage has; the local gateway and the tests generate fresh values.
SECRET_NAMES = {"CURSOR_SECRET_NAME": "khaya/local/cursor-key"}


def reset_caches() -> None:
    from khaya.aws import reset_clients
    from khaya.config import reset_settings
    from khaya.secrets import reset_secrets

    reset_settings()
    reset_clients()
    reset_secrets()


def create_resources(endpoint_url: str | None = None, table_name: str | None = None) -> dict[str, Any]:
    """Create the table (from the template) and the secrets; return their names."""
    import boto3

    kw: dict[str, Any] = {"region_name": os.environ.get("AWS_DEFAULT_REGION", "af-south-1")}
    if endpoint_url:
        kw["endpoint_url"] = endpoint_url
    ddb = boto3.client("dynamodb", **kw)
    name = table_name or os.environ["TABLE_NAME"]
    ddb.create_table(**table_create_kwargs(table_name=name))
    ttl = ttl_attribute()
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})
    sm = boto3.client("secretsmanager", **kw)
    for env_name, default in SECRET_NAMES.items():
        sm.create_secret(Name=os.environ.get(env_name, default), SecretString=pysecrets.token_urlsafe(48))
    return {"table": name}


@contextmanager
def mocked_aws() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        reset_caches()
        create_resources()
        yield
    reset_caches()
