"""Shared fixtures: a clean AWS-like environment, moto with the template's table, invokers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.cfn import functions
from local.events import LambdaContext, http_event
from local.loader import load_handler
from tests.support.aws import TEST_ENV, mocked_aws, reset_caches
from tests.support.iam_check import (  # noqa: F401  (the suite-wide IAM check's hooks)
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from tests.support.no_scan import no_scan  # noqa: F401  (autouse: any DynamoDB Scan fails the test)
from tests.support.payments import fake_providers  # noqa: F401  (autouse: payment providers are fakes)


@pytest.fixture(autouse=True)
def _test_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for key in list(os.environ):
        if key.startswith("AWS_ENDPOINT_URL") or key in ("AWS_PROFILE",):
            monkeypatch.delenv(key, raising=False)
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    yield
    reset_caches()


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process, with the table created from template.yaml and the secrets in place."""
    with mocked_aws():
        yield


class Result:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.status: int = raw["statusCode"]
        self.headers: dict[str, str] = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
        body = raw.get("body") or ""
        self.text: str = body
        try:
            self.json: Any = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self) -> str:
        return f"<Result {self.status} {self.text[:300]}>"


@pytest.fixture
def call_route() -> Callable[..., Result]:
    """Invoke the function that serves ``METHOD /path`` in template.yaml with a real-shaped event."""
    from local.events import match_path

    # Static paths before parameterised ones, as API Gateway matches (/v1/jobs/search, not /v1/jobs/{id}).
    table = sorted(((fn, r) for fn in functions() for r in fn.routes), key=lambda pair: "{" in pair[1].path)

    def _call(
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: str = "",
        caller: dict[str, str] | None = None,
        source_ip: str = "198.51.100.7",
    ) -> Result:
        def serves(r: Any) -> bool:
            return r.method in (method.upper(), "ANY") and (r.path == path or match_path(r.path, path) is not None)

        fn, route = next(((f, r) for f, r in table if serves(r)), None) or next(
            (f, r) for f, r in table if r.path == "$default"
        )
        event = http_event(
            method,
            path,
            route_path=route.path,
            query=query,
            headers=headers,
            body=body,
            authorizer=caller,
            source_ip=source_ip,
        )
        return Result(load_handler(fn)(event, LambdaContext(fn.logical_id)))

    return _call
