"""``Entity``: the explicit mapping between a domain model and its DB item.

A subclass is the domain model (pydantic fields, snake_case); it says where it lives by
implementing ``keys()`` (``pk``/``sk`` and any GSI keys, built with the domain's key
builders), and names its ``entity_type`` (stored as ``type``, which keeps items
self-describing in the single table and in stream records)::

    class Job(Entity):
        entity_type: ClassVar[str] = "job"
        id: str
        client_id: str
        status: str
        created_at: str
        version: int = 1

        def keys(self) -> dict[str, str]:
            return {
                **market_keys.job(self.id).item(),
                **market_keys.user_job_index(self.client_id, self.created_at, self.id).item(),
            }

    db.put_new(job.to_item(), on_exists=Conflict())
    job = Job.from_item(db.get(*market_keys.job(job_id)))

``to_item()`` drops ``None`` fields (absent, not NULL: sparse indexes stay sparse), turns
datetimes/dates into ISO strings, enums into their values and floats into ``Decimal``.
``from_item()`` ignores key and bookkeeping attributes and turns integral numbers into ``int``.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

from khaya.db.codec import normalise

KEY_ATTRIBUTES = frozenset({"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "type"})


def to_db_value(value: Any) -> Any:
    """A domain value → a value the table stores (recursively)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int | bytes):
        return value
    if isinstance(value, Decimal):
        return normalise(value)
    if isinstance(value, float):
        return normalise(Decimal(repr(value)))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_db_value(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_db_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_db_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return {to_db_value(v) for v in value}
    if isinstance(value, BaseModel):
        return to_db_value(value.model_dump(mode="python", exclude_none=True))
    raise TypeError(f"cannot store a {type(value).__name__}")


class Entity(BaseModel):
    """Base of every stored domain model: ``keys()`` + ``to_item()`` / ``from_item()``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    entity_type: ClassVar[str] = ""

    def keys(self) -> dict[str, str]:
        """``{"pk": ..., "sk": ...}`` plus any GSI keys (omit a GSI key to stay out of it)."""
        raise NotImplementedError(f"{type(self).__name__} must say where it is stored")

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = to_db_value(self.model_dump(mode="python", exclude_none=True))
        clash = KEY_ATTRIBUTES & item.keys()
        if clash:
            raise ValueError(f"fields {sorted(clash)} are reserved for keys")
        item.update({k: v for k, v in self.keys().items() if v is not None})
        if self.entity_type:
            item["type"] = self.entity_type
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Self:
        return cls.model_validate({k: normalise(v) for k, v in item.items() if k not in KEY_ATTRIBUTES})

    @classmethod
    def from_item_or_none(cls, item: Mapping[str, Any] | None) -> Self | None:
        return None if item is None else cls.from_item(item)
