"""Test AWS environment: moto in-process, with the resources the local gateway creates too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from local.cfn import load_template
from local.intrinsics import Resolver
from local.resources import create_resources, local_environment

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "af-south-1",
    "AWS_REGION": "af-south-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "STAGE": "local",
    # the template's own name for the local stage, so recorded calls name what its policies name
    "TABLE_NAME": Resolver(load_template()).ref("Table"),
    "POWERTOOLS_SERVICE_NAME": "khaya",
    "POWERTOOLS_METRICS_NAMESPACE": "Khaya",
    "APP_VERSION": "test",
    # In-process functions read secrets with the SDK (moto in this process); the local stage and
    # the built artifacts read them through the extension's stand-in (local/secrets_extension.py).
    "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "",
    **local_environment(),
}


def reset_caches() -> None:
    from khaya.aws import reset_clients
    from khaya.config import reset_settings
    from khaya.secrets import reset_secrets

    reset_settings()
    reset_clients()
    reset_secrets()


@contextmanager
def mocked_aws() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        reset_caches()
        create_resources()
        yield
    reset_caches()
