"""Key plumbing for the one Khaya table; the keys themselves belong to the domains.

The table has ``pk``/``sk`` and two overloaded GSIs (``gsi1pk``/``gsi1sk``,
``gsi2pk``/``gsi2sk``). Each domain package owns its key builders and its access-pattern
table in ``<domain>/keys.py`` (``khaya.identity.keys``, ``khaya.market.keys``…) and builds
them from the pieces here:

- ``Key(pk, sk)``: ``db.get(*key)`` and ``{**key.item(), ...}`` both work;
- ``IndexKey(index, pk, sk)``: the attributes an item carries to appear in a GSI;
- ``part(value)`` / ``join(*parts)``: a key part is a non-empty string without the ``#``
  separator, otherwise ``ValueError`` (validate user input before it gets here).

Timestamps in sort keys are ISO-8601 UTC strings of fixed width and ids are ULIDs, so string
order is time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

SEP = "#"
GSI1 = "gsi1"
GSI2 = "gsi2"


class Key(NamedTuple):
    """A table key; ``db.get(*key)`` and ``{**key.item(), ...}`` both work."""

    pk: str
    sk: str

    def item(self) -> dict[str, str]:
        return {"pk": self.pk, "sk": self.sk}


@dataclass(frozen=True)
class IndexKey:
    """The GSI attributes an item carries to appear in ``index``."""

    index: str
    pk: str
    sk: str

    def item(self) -> dict[str, str]:
        return {f"{self.index}pk": self.pk, f"{self.index}sk": self.sk}


def part(value: str) -> str:
    """One key part: non-empty, no separator."""
    if not isinstance(value, str) or not value or SEP in value:
        raise ValueError("a key part must be a non-empty string without '#'")
    return value


def join(*parts: str) -> str:
    return SEP.join(part(p) for p in parts)
