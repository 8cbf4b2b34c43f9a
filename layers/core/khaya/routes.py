"""The API's route table, read from the generated OpenAPI document shipped in the layer.

``openapi.json`` is generated from the function modules (``make openapi``) and a test keeps
it equal to the routes of template.yaml, so this table is the deployed route set. Only the
standard library the JSON parser loads anyway is imported: the not-found and OpenAPI routes
use this on their cold start.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache

TYPE_CHECKING = False  # typing and pathlib stay out of the cold start
if TYPE_CHECKING:
    from pathlib import Path

OPENAPI_FILE = os.path.join(os.path.dirname(__file__), "openapi.json")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@lru_cache(maxsize=1)
def openapi_text() -> str:
    with open(OPENAPI_FILE, encoding="utf-8") as fh:
        return fh.read()


@lru_cache(maxsize=1)
def _table() -> list[tuple[re.Pattern[str], frozenset[str]]]:
    doc = json.loads(openapi_text())
    out = []
    for path, ops in doc.get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
        out.append((re.compile(f"^{pattern}$"), frozenset(m.upper() for m in ops if m in _METHODS)))
    return out


def allowed_methods(path: str) -> frozenset[str]:
    """Methods some route serves on ``path`` (empty when no route has this path)."""
    found: set[str] = set()
    for pattern, methods in _table():
        if pattern.match(path):
            found |= methods
    return frozenset(found)


def __getattr__(name: str) -> Path:
    """``OPENAPI_PATH``: the document as a ``pathlib.Path``, for tools (pathlib stays out of the
    routes' cold start)."""
    if name == "OPENAPI_PATH":
        from pathlib import Path

        return Path(OPENAPI_FILE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
