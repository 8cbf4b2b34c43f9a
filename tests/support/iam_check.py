"""The suite-wide IAM check: every AWS call any function makes in the tests must be allowed by
that function's role in template.yaml, or the run fails.

Calls are recorded (``local.aws_calls``) in this process, for the functions the tests invoke
in-process, and in the function processes of every local gateway the e2e tests start (they
append to the file named by ``KHAYA_RECORD_AWS_CALLS``, set here for them to inherit). With
pytest-xdist each worker hands its calls to the controller, which checks them all once.

A call no statement allows fails the run, naming the function, the action and the resource.
The allowed actions that no recorded call used are listed for information after a run of
the whole suite (an action some rare path needs may legitimately go unused by the tests).
``KHAYA_AWS_CALLS_DUMP=<file>`` writes every recorded call (with the partition keys it named)
to that file, to narrow a policy from what a function really does.

Imported by ``tests/conftest.py``; its hooks are pytest's.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from local.aws_calls import RECORD_CALLS_VAR, recorder

_KEY = "khaya_aws_calls"
_state: dict[str, Any] = {"file": None, "from_workers": [], "report": None}


def pytest_configure(config: pytest.Config) -> None:
    recorder()  # hook botocore before any client exists
    fd, path = tempfile.mkstemp(prefix="khaya-aws-calls-", suffix=".jsonl")
    os.close(fd)
    _state["file"] = Path(path)
    os.environ[RECORD_CALLS_VAR] = path  # inherited by the gateways the e2e tests start


def _recorded() -> list[list[str]]:
    calls = [list(c) for c in recorder().snapshot()]
    file: Path | None = _state["file"]
    if file is not None and file.exists():
        calls += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return calls


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: collect a worker's calls."""
    _state["from_workers"].extend(getattr(node, "workeroutput", {}).get(_KEY, []))


def _whole_suite(config: pytest.Config) -> bool:
    roots = {Path(str(config.rootpath), p).resolve() for p in config.getini("testpaths")}
    args = [Path(a.split("::")[0]).resolve() for a in config.args]
    return not args or set(args) <= roots


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    calls = _recorded()
    file: Path | None = _state["file"]
    if file is not None:
        file.unlink(missing_ok=True)
    if hasattr(config, "workerinput"):  # an xdist worker: the controller checks
        config.workeroutput[_KEY] = calls  # type: ignore[attr-defined]
        return
    calls += _state["from_workers"]
    dump = os.environ.get("KHAYA_AWS_CALLS_DUMP")
    if dump:  # every recorded call, to write a narrower policy from what functions really do
        Path(dump).write_text(json.dumps(sorted(calls), indent=0), encoding="utf-8")
    if not calls:
        return
    from local.iam import check, report, template_policies

    roles = template_policies()
    # Functions of a test's own template (stand-ins) have no role in template.yaml to check against.
    calls = [c for c in calls if c[0] in roles]
    if not calls:
        return
    denied, unused = check([tuple(c) for c in calls], roles)  # type: ignore[misc]
    invoked = len({c[0] for c in calls})
    _state["report"] = report(denied, unused if _whole_suite(config) else [], functions=invoked, total=len(roles))
    if denied:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = _state.get("report")
    if not lines:
        return
    terminalreporter.write_sep("-", "IAM: recorded AWS calls against template.yaml")
    for line in lines:
        terminalreporter.write_line(line)
