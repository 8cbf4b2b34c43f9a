"""The local stage as a subprocess, for the load run and the seeded checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from local.cfn import ROOT
from local.dynamodb_local import free_port


@contextmanager
def running_stage(log_path: Path, *, seed_jobs: int = 0, dynamodb: str = "auto", timeout: float = 600) -> Iterator[str]:
    """Start ``python -m local.gateway`` on a free port (seeded with ``seed_jobs`` jobs), wait
    until it answers ``/v1/health``, yield its base URL; stop it with SIGINT on the way out."""
    port = free_port()
    cmd = [sys.executable, "-m", "local.gateway", "--port", str(port), "--dynamodb", dynamodb]
    cmd += ["--seed-jobs", str(seed_jobs)]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT}", "PYTHONUNBUFFERED": "1"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the gateway exited with {proc.returncode}; see {log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not answer within {timeout:.0f}s; see {log_path}")
            try:
                if requests.get(f"{url}/v1/health", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or still loading its demo data (the payment simulator answers meanwhile)
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def log_line(log_path: Path, prefix: str) -> str:
    """The first line of the gateway's log that starts with ``prefix`` (or "")."""
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(prefix):
            return line
    return ""
