"""The local gateway as a background process, for tools that talk to it over HTTP
(``local.docs_check``, ``local.fuzz``): started on a free port, stopped on exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local.cfn import ROOT
from local.gateway import free_port

READY_TIMEOUT_S = 90


@contextmanager
def background_gateway(log_path: Path) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a gateway serving template.yaml, healthy; its output goes
    to ``log_path``."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT}", "PYTHONUNBUFFERED": "1"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "local.gateway", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the gateway exited with {proc.returncode}; see {log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway was not healthy within {READY_TIMEOUT_S}s; see {log_path}")
            try:
                with urllib.request.urlopen(f"{url}/v1/health", timeout=2) as res:
                    if res.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
