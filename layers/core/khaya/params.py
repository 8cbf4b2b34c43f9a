"""Route parameter markers for function modules: Powertools' own ``Path``, ``Query`` and ``Body``.

Imported from here, not from Powertools, so that a function module loads Powertools only
after the ``khaya`` package has put ``khaya.lean_imports`` in place (an import of Powertools
that ran first would load every resolver). ruff refuses a Powertools import under
``functions/``.
"""

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

__all__ = ["Body", "Path", "Query"]
