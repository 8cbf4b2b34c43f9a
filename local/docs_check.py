"""Check ``GET /v1/docs`` in a real browser, offline: ``make docs-check``.

Starts the local gateway, opens the docs page in headless Chromium with every host but
127.0.0.1 unresolvable (as with no internet), and checks that the DOM holds one operation
block per operation of the OpenAPI document, that the console reports nothing (no
Content-Security-Policy violation, no failed load), and saves a screenshot.

    python -m local.docs_check [--chromium chromium] [--out .docs-check]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from local.background import background_gateway
from local.cfn import ROOT

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # offline, but for this machine
    "--enable-logging=stderr",
    "--log-level=0",
    "--virtual-time-budget=20000",
]
_BLOCK = re.compile(r'class="opblock opblock-\w+[^"]*" id="operations-([^"]+)"')
_CONSOLE = re.compile(r"INFO:CONSOLE[^\]]*\] (.*)")
# Swagger UI's own notice about a future change in its deep-link format; not a fault of the page.
_HARMLESS = ("escaping deep link whitespace",)


def expected_blocks() -> set[str]:
    doc = json.loads((ROOT / "layers/core/khaya/openapi.json").read_text(encoding="utf-8"))
    return {
        f"{op['tags'][0]}-{op['operationId']}" for ops in doc["paths"].values() for op in ops.values() if "tags" in op
    }


def chromium(binary: str, url: str, *extra: str) -> tuple[str, list[str]]:
    """The DOM (or nothing) and the console lines of one headless page load, fresh profile."""
    with tempfile.TemporaryDirectory(prefix="khaya-chromium-") as profile:
        run = subprocess.run(  # noqa: S603 - the browser the developer named
            [binary, *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    console = [m.group(1) for m in _CONSOLE.finditer(run.stderr)]
    return run.stdout, [line for line in console if not any(h in line for h in _HARMLESS)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chromium", default="chromium")
    parser.add_argument("--out", type=Path, default=ROOT / ".docs-check")
    args = parser.parse_args(argv)
    binary = shutil.which(args.chromium)
    if binary is None:
        print(f"{args.chromium} not found: install Debian's chromium package (apt-get install -y chromium)")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    screenshot = args.out / "docs.png"
    with background_gateway(args.out / "gateway.log") as base:
        url = f"{base}/v1/docs"
        dom, console = chromium(binary, url, "--dump-dom")
        _, more = chromium(binary, url, "--window-size=1280,2400", f"--screenshot={screenshot.resolve()}")
    found = _BLOCK.findall(dom)
    expected = expected_blocks()
    problems = [f"console: {line}" for line in console + more]
    if sorted(found) != sorted(expected):
        missing, extra = sorted(expected - set(found)), sorted(set(found) - expected)
        problems.append(
            f"{len(found)} operation blocks for {len(expected)} operations; missing {missing}, extra {extra}"
        )
    for problem in problems:
        print(problem)
    if problems or not screenshot.exists():
        print("docs page: FAILED")
        return 1
    print(f"docs page offline: {len(found)} operation blocks for {len(expected)} operations, a silent console")
    print(f"screenshot: {screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
