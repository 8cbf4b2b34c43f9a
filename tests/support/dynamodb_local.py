"""DynamoDB Local (AWS's own engine) for tests that need real concurrency on the table.

Threads racing on one item must meet an engine that applies each write and each transaction
atomically while serving many connections at once, as DynamoDB does: DynamoDB Local is
that engine (``local.dynamodb_local``). One engine runs per test session (started on first
use, ~3 s); each test gets a fresh copy of the table, and the secrets and buckets on
in-process moto. ``khaya.aws`` clients reach the engine through botocore's own
``AWS_ENDPOINT_URL_DYNAMODB``, so the code under test runs unchanged. What stays racy is what
is racy in production: anything that spans two calls, such as read-then-write.

Use it from a conftest (or a test module)::

    from tests.support.dynamodb_local import dynamodb_engine, dynamodb_local  # noqa: F401

    @pytest.mark.dynamodb_local
    def test_race(dynamodb_local: str) -> None: ...   # the engine's endpoint URL

Do not combine it with the in-process ``aws`` fixture in the same test.

Many short test sessions (``make mutate`` runs one per mutant) share one engine instead of
starting their own: ``KHAYA_DYNAMODB_LOCAL_URL`` names it, started without ``-sharedDb``, and
each session uses an access key of its own, so DynamoDB Local keeps its tables apart.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from local.dynamodb_local import Engine, endpoint_environment, install
from local.resources import create_resources
from tests.support.aws import TEST_ENV, reset_caches

SHARED_ENGINE_VAR = "KHAYA_DYNAMODB_LOCAL_URL"  # an engine many test sessions share (see above)


@pytest.fixture(scope="session")
def dynamodb_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of this session's DynamoDB Local (fetched into the cache if missing)."""
    if os.environ.get(SHARED_ENGINE_VAR):
        yield os.environ[SHARED_ENGINE_VAR]
        return
    engine = Engine(install(), log=tmp_path_factory.mktemp("dynamodb-local") / "engine.log")
    engine.start()
    try:
        yield engine.endpoint
    finally:
        engine.stop()


def _own_database(endpoint: str, table: str) -> None:
    """Give this session a database of its own on a shared engine: an access key naming its
    process. Set inside ``mock_aws``, which puts moto's one fixed key in the environment (and
    puts back the one before it on exit): sessions keyed by that would all share one table.
    A process id comes round again in a long run, and a session killed mid-test (a hung
    mutant) leaves its table behind under it: that table goes first."""
    import boto3

    os.environ["AWS_ACCESS_KEY_ID"] = f"session{os.getpid()}"
    engine = boto3.client("dynamodb", endpoint_url=endpoint)
    with contextlib.suppress(engine.exceptions.ResourceNotFoundException):
        engine.delete_table(TableName=table)


@pytest.fixture
def dynamodb_local(dynamodb_engine: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh copy of the template's table on DynamoDB Local, with the secrets on moto."""
    import boto3
    from moto import mock_aws

    for var, url in endpoint_environment(dynamodb_engine).items():
        monkeypatch.setenv(var, url)
    # The template's own table name, so every call is checked against the policies that name it;
    # each test gets it fresh (the engine serves one xdist worker, whose tests run one at a time).
    table = TEST_ENV["TABLE_NAME"]
    monkeypatch.setenv("TABLE_NAME", table)
    # moto answers Secrets Manager and S3; calls to the engine's loopback URL pass it by.
    with mock_aws():
        if os.environ.get(SHARED_ENGINE_VAR):
            _own_database(dynamodb_engine, table)
        reset_caches()
        create_resources(table_name=table)
        try:
            yield dynamodb_engine
        finally:
            boto3.client("dynamodb", endpoint_url=dynamodb_engine).delete_table(TableName=table)
            reset_caches()
