"""The local stage as a developer meets it: the engine it runs on, and the load run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, start_gateway

pytestmark = pytest.mark.e2e


def test_without_java_the_stage_still_serves_on_moto_after_one_warning_line(tmp_path: Path) -> None:
    # Given a machine whose PATH has no java (nor anything else)
    empty = tmp_path / "bin"
    empty.mkdir()
    # When the stage starts as make run starts it
    with start_gateway(tmp_path, dynamodb="auto", path=str(empty)) as gw:
        # Then it serves, table and all: a signup is written and its code can be read back
        phone = "+27829000001"
        signup = requests.post(
            f"{gw.url}/v1/auth/signup", json={"phone": phone, "name": "Ayesha", "role": "client"}, timeout=30
        )
        assert signup.status_code == 201, signup.text
        outbox = requests.get(f"{gw.url}/_dev/outbox", params={"to": phone}, timeout=30).json()
        assert len(outbox["items"]) == 1
        log = gw.log()
    # And it said why, once
    warnings = [line for line in log.splitlines() if line.startswith("warning: DynamoDB Local is unavailable")]
    assert len(warnings) == 1 and "java is not on PATH" in warnings[0]
    assert "DynamoDB on moto" in log


def test_the_stage_runs_on_dynamodb_local_where_java_is(gateway) -> None:
    assert "DynamoDB Local on http://127.0.0.1:" in gateway.log()


def test_a_short_load_run_completes_with_no_5xx_and_writes_its_reports(tmp_path: Path) -> None:
    # Given a fresh stage / When four users run the load mix for a few seconds
    with start_gateway(tmp_path) as gw:
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT}"}
        args = ["--host", gw.url, "--users", "4", "--spawn-rate", "4", "--duration", "8s", "--out", str(tmp_path)]
        done = subprocess.run(
            [sys.executable, "-m", "bench.load.run", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    # Then it passes, prints a row per route it used, and leaves Locust's CSV and HTML report
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| POST /v1/auth/signup |" in done.stdout and "| all routes |" in done.stdout
    assert (tmp_path / "load_stats.csv").exists() and (tmp_path / "report.html").exists()
