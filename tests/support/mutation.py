"""A pytest plugin for the many short test sessions of ``make mutate`` (one per mutant, each a
fork of a process that already ran the tests once); not used by ``make test``.

* botocore loads a service's model (megabytes of JSON) for every new session, and each test
  makes new clients: here every session shares one loader, so a model is read once per run.
* ``-p no:unraisableexception -p no:threadexception`` (in ``bench/mutation/modules.toml``) skip
  pytest's garbage collections at the end of a session, which cost half a second in a process
  holding moto and botocore; they only report warnings.

Neither changes what a test does or sees: clients and their answers are the same.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.loaders
import botocore.session

_create_loader = botocore.loaders.create_loader


@functools.cache
def _shared_loader(search_path_string: Any = None) -> Any:
    return _create_loader(search_path_string)


botocore.loaders.create_loader = _shared_loader
botocore.session.create_loader = _shared_loader  # type: ignore[attr-defined]
