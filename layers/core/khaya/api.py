"""The API's vocabulary: one camelCase base model and one list shape for every route.

``ApiModel`` is the base of every request and response model, identity's and the
marketplace's alike: camelCase on the wire (``next_cursor`` ↔ ``nextCursor``), snake_case in
Python (either name is accepted on input). Unknown fields are decided here, once:

* **request bodies refuse them**: ``Model.model_validate(body)`` (what Powertools does for a
  route's body parameter) answers an unknown field with a 400, so a misspelt field never
  silently does nothing;
* **stored items ignore them**: ``Model.from_item(item)`` (and ``Page.of``) drops the item's
  key, index and bookkeeping attributes, so a response shows only the declared fields.

In the OpenAPI document request schemas are closed (``additionalProperties: false``) and
response schemas stay open, so clients generated from it tolerate fields added later.

``Page[T]`` is every list: ``{"items": [...], "nextCursor": "..." | null}``.
"""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator
from pydantic.alias_generators import to_camel

T = TypeVar("T")

_STORED = {"stored": True}
_wire_names: dict[type[BaseModel], frozenset[str]] = {}


def _names_of(cls: type[BaseModel]) -> frozenset[str]:
    found = _wire_names.get(cls)
    if found is None:
        found = frozenset(n for name, f in cls.model_fields.items() for n in (name, f.alias) if n)
        _wire_names[cls] = found
    return found


class ApiModel(BaseModel):
    """camelCase API model; unknown fields refused in requests, ignored in stored items."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _ignore_unknown_stored(cls, data: Any, info: ValidationInfo) -> Any:
        if info.context and info.context.get("stored") and isinstance(data, dict):
            names = _names_of(cls)
            return {k: v for k, v in data.items() if k in names}
        return data

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        """This model from a stored item (extra attributes ignored, nested models included)."""
        return cls.model_validate(item, context=_STORED)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        if handler.mode == "serialization":
            handler.resolve_ref_schema(schema).pop("additionalProperties", None)
        return schema


class Page(ApiModel, Generic[T]):  # noqa: UP046 - pydantic generic model
    items: list[T]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Any) -> Self:
        """A ``db.Page`` (items as stored) as this API list."""
        return cls.model_validate({"items": page.items, "next_cursor": page.next_cursor}, context=_STORED)
