"""A pytest plugin for the many short test sessions of ``make mutate`` (one per mutant, each a
fork of a process that already ran the tests once); not used by ``make test``.

* botocore loads a service's model (megabytes of JSON) for every new session, and each test
  makes new clients: here every session shares one loader, so a model is read once per run.
* ``-p no:unraisableexception -p no:threadexception`` (in ``bench/mutation/modules.toml``) skip
  pytest's garbage collections at the end of a session, which cost half a second in a process
  holding moto and botocore; they only report warnings.
* A mutant's test whose body runs far past its clean duration (``hung_after``, from the
  durations mutmut recorded in its clean run, ``mutmut-stats.json``) ends the mutant's run as
  timed out, as mutmut's own limits would (they allow the sum of all the mutant's tests many
  times over): a mutant that makes one test wait out a deadline or loop is caught in seconds,
  not minutes. Only the test's body is timed, as mutmut recorded only that: a slow fixture is
  left to mutmut's own limits.

None of this changes what a test does or sees: clients and their answers are the same, and the
runs without a mutant (mutmut's clean run and its stats run) have no time limit from here.
"""

from __future__ import annotations

import functools
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest

_create_loader = botocore.loaders.create_loader


@functools.cache
def _shared_loader(search_path_string: Any = None) -> Any:
    return _create_loader(search_path_string)


botocore.loaders.create_loader = _shared_loader
botocore.session.create_loader = _shared_loader  # type: ignore[attr-defined]

# A mutant's test is hung once its body has run this long: a floor for a loaded machine,
# plus many times what the test took in the clean run.
HUNG_FLOOR_S = 30.0
HUNG_FACTOR = 10.0


def _mutant_under_test() -> str | None:
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name if "__mutmut_" in name else None


@functools.cache
def _clean_durations() -> dict[str, float]:
    """Each test's duration in the clean run (mutmut writes it beside the copied tree)."""
    try:
        stats = json.loads(Path("mutmut-stats.json").read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in stats["duration_by_test"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def hung_after(nodeid: str) -> float:
    return HUNG_FLOOR_S + HUNG_FACTOR * _clean_durations().get(nodeid, HUNG_FLOOR_S)


# mutmut's exit status for a mutant that timed out (``mutmut.stats.status_by_exit_code``).
TIMED_OUT = 36


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    mutant = _mutant_under_test()
    if mutant is None:
        yield
        return
    limit = hung_after(item.nodeid)

    def hung(signum: int, frame: Any) -> None:
        # The test's own threads may be stuck too: end the mutant's process now, as timed out.
        os.write(2, f"mutate: {item.nodeid} ran past {limit:.0f} s under {mutant}\n".encode())
        os._exit(TIMED_OUT)

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
