"""Each in-process invocation sees only its own function's template variables, as on Lambda."""

from __future__ import annotations

import os
import threading

from local.lambda_env import isolated
from local.loader import function_by_id


def test_an_invocation_sees_its_own_variables_and_not_another_functions() -> None:
    # Given a test process that knows every secret and bucket name (direct service calls need them)
    assert "MEDIA_BUCKET" in os.environ and "JWT_PRIVATE_KEY_SECRET_NAME" in os.environ
    # When the health function runs, and then the portfolio upload function
    with isolated(function_by_id("GetHealthFunction")):
        health = dict(os.environ)
    with isolated(function_by_id("CreatePortfolioItemFunction")):
        portfolio = dict(os.environ)
    # Then each sees the Globals and its own entry's variables, and nothing another entry sets
    assert "MEDIA_BUCKET" not in health and "JWT_PRIVATE_KEY_SECRET_NAME" not in health
    assert portfolio["MEDIA_BUCKET"] == os.environ["MEDIA_BUCKET"]
    assert health["TABLE_NAME"] == portfolio["TABLE_NAME"] == os.environ["TABLE_NAME"]
    # And what no template sets (credentials, a setting a test turns) stays visible
    assert health["AWS_DEFAULT_REGION"] == os.environ["AWS_DEFAULT_REGION"]
    # And afterwards the process has its whole environment back
    assert "MEDIA_BUCKET" in os.environ and "JWT_PRIVATE_KEY_SECRET_NAME" in os.environ


def test_settings_are_read_afresh_for_each_function() -> None:
    from khaya.config import settings

    with isolated(function_by_id("GetWorkerFunction")):
        assert settings().get("MEDIA_BUCKET")
    with isolated(function_by_id("GetHealthFunction")):
        assert settings().get("MEDIA_BUCKET") is None


def test_another_function_waits_while_one_runs_so_neither_sees_the_others_variables() -> None:
    # Given the portfolio function running in one thread
    inside = threading.Event()
    release = threading.Event()
    seen: dict[str, bool] = {}

    def portfolio() -> None:
        with isolated(function_by_id("CreatePortfolioItemFunction")):
            inside.set()
            release.wait(5)
            seen["portfolio"] = "MEDIA_BUCKET" in os.environ

    def health() -> None:
        with isolated(function_by_id("GetHealthFunction")):
            seen["health"] = "MEDIA_BUCKET" in os.environ

    first = threading.Thread(target=portfolio)
    first.start()
    inside.wait(5)
    # When the health function is invoked meanwhile
    second = threading.Thread(target=health)
    second.start()
    second.join(0.2)
    started_early = "health" in seen
    release.set()
    first.join(5)
    second.join(5)
    # Then it ran only after, each with its own environment
    assert not started_early
    assert seen == {"portfolio": True, "health": False}
