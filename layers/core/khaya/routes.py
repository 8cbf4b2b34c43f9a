"""The API's route table, read from the generated OpenAPI document shipped in the layer.

``openapi.json`` is generated from the function modules (``make openapi``) and a test keeps
it equal to the routes of template.yaml, so this table is the deployed route set.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@lru_cache(maxsize=1)
def openapi_text() -> str:
    return OPENAPI_PATH.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _table() -> list[tuple[re.Pattern[str], frozenset[str]]]:
    doc: dict[str, Any] = json.loads(openapi_text())
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
