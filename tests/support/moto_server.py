"""moto's server on a free loopback port, with the template's table and the secrets.

For tests that need real concurrency (threads racing on one item): the server takes
requests on many connections at once, so calls from racing threads interleave as they do
against DynamoDB. moto itself is not atomic (two threads inside one conditional
``UpdateItem`` can both pass the condition), while DynamoDB applies every single-item
write and every transaction atomically; so the server applies one request at a time
(``local.moto_server.AtomicMotoServer``). What stays racy is what is racy in production: anything that
spans two calls, such as read-then-write. ``khaya.aws`` clients reach it through
``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` (botocore's own
setting), so the code under test runs unchanged.

Use it from a conftest (or a test module)::

    from tests.support.moto_server import moto_server  # noqa: F401  (the fixture)

    @pytest.mark.moto_server
    def test_race(moto_server: str) -> None: ...   # moto_server is the endpoint URL

Do not combine it with the in-process ``aws`` fixture in the same test.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from local.moto_server import AtomicMotoServer
from local.resources import create_resources
from tests.support.aws import reset_caches

ENDPOINT_VARS = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "AWS_ENDPOINT_URL_SECRETS_MANAGER")


@contextmanager
def running_moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Start moto's threaded server on 127.0.0.1:<free port>, create the resources, point
    khaya's clients at it; on exit wipe its state and stop it."""
    server = AtomicMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        for var in ENDPOINT_VARS:
            monkeypatch.setenv(var, url)
        reset_caches()
        create_resources(endpoint_url=url)
        yield url
    finally:
        try:
            # moto's backends are process-wide: leave nothing behind for in-process tests.
            urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=5).close()
        finally:
            server.stop()
            for var in ENDPOINT_VARS:
                monkeypatch.delenv(var, raising=False)
            reset_caches()


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The endpoint URL of a fresh moto server holding the table and secrets."""
    with running_moto_server(monkeypatch) as url:
        yield url
