"""The local gateway as a subprocess, for tests over HTTP.

``base_url`` (session-scoped) serves template.yaml exactly as ``make run`` does; any e2e test
can take it. ``start_gateway(template=...)`` starts another one, for a test that needs its
own template (stand-in functions) or its own process (signals, logs).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningGateway:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ready_after_s: float

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


@contextmanager
def start_gateway(
    log_dir: Path,
    template: Path | None = None,
    *,
    dynamodb: str = "local",
    path: str | None = None,
    seed_jobs: int = 0,
) -> Iterator[RunningGateway]:
    """``dynamodb="local"``: AWS's own engine, never a silent fallback (the e2e suite is what
    proves it serves); ``path`` replaces ``PATH`` (a machine without Java); ``seed_jobs``: the
    demo data set, as ``SEED_JOBS=N make run`` loads it (a second per job is allowed for it)."""
    port = free_port()
    cmd = [sys.executable, "-m", "local.gateway", "--port", str(port), "--dynamodb", dynamodb]
    cmd += ["--seed-jobs", str(seed_jobs)] if seed_jobs else []
    if template is not None:
        cmd += ["--template", str(template)]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT}", "PYTHONUNBUFFERED": "1"}
    if path is not None:
        env["PATH"] = path
    for key in list(env):
        if key.startswith("AWS_ENDPOINT_URL") or key == "AWS_PROFILE":
            del env[key]
    log_path = log_dir / f"gateway-{port}.log"
    started = time.monotonic()
    # A file, not a pipe: a pipe nobody drains would block the gateway once full.
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    gw = RunningGateway(url, proc, log_path, 0.0)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the gateway exited with {proc.returncode}:\n{gw.log()}")
            if time.monotonic() - started > READY_TIMEOUT_S + seed_jobs:
                raise RuntimeError(f"the gateway was not healthy within {READY_TIMEOUT_S + seed_jobs}s:\n{gw.log()}")
            try:
                if requests.get(f"{url}/v1/health", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or its first (cold) health check is still starting
            time.sleep(0.1)
        gw.ready_after_s = time.monotonic() - started
        yield gw
    finally:
        gw.stop(signal.SIGTERM)


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    with start_gateway(tmp_path_factory.mktemp("gateway")) as gw:
        yield gw


@pytest.fixture(scope="session")
def base_url(gateway: RunningGateway) -> str:
    """http://127.0.0.1:<port> of a gateway serving template.yaml (started once per session)."""
    return gateway.url
