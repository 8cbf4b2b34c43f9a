"""Money: integer minor units plus an ISO currency, never a float.

Every amount a client sends is more than 0: the schema says so (``minimum: 1``), and a
service that takes money checks it with ``require_positive``, which answers 422
``amount_not_positive`` (a business rule of API.md), not a 400. The model itself does not
refuse 0 or less, so that amounts already stored always read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from khaya.errors import BusinessRule

Currency = Literal["ZAR", "NGN", "GHS", "KES", "USD"]
CURRENCIES: tuple[str, ...] = ("ZAR", "NGN", "GHS", "KES", "USD")
MAX_AMOUNT = 10**12  # minor units; far above any real job, far below float trouble


class Money(BaseModel):
    """``{"amount": 150000, "currency": "ZAR"}`` is R1 500.00."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    amount: StrictInt = Field(
        le=MAX_AMOUNT,
        description="Integer minor units (cents, kobo, pesewas), more than 0 (0 or less → 422 `amount_not_positive`).",
        json_schema_extra={"minimum": 1},
    )
    currency: Currency

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        # Closed in requests, open in responses, as every API model (khaya.api.ApiModel).
        schema = handler(core_schema)
        if handler.mode == "serialization":
            handler.resolve_ref_schema(schema).pop("additionalProperties", None)
        return schema

    def to_item(self) -> dict[str, object]:
        return {"amount": self.amount, "currency": self.currency}


def require_positive(money: Mapping[str, Any] | Money | None, field: str) -> None:
    """422 ``amount_not_positive`` unless ``money`` (as sent in ``field``) is more than 0."""
    if money is None:
        return
    amount = money.amount if isinstance(money, Money) else money["amount"]
    if int(amount) <= 0:
        raise BusinessRule(
            f"{field}: the amount must be more than 0.",
            code="amount_not_positive",
            details=[{"field": f"{field}.amount", "issue": "not_positive"}],
        )


def require_currency(money: Mapping[str, Any], expected: str, field: str) -> None:
    """422 ``currency_mismatch`` unless ``money`` is in ``expected`` (a job's one currency)."""
    if money["currency"] != expected:
        raise BusinessRule(
            f"{field}: use the job's currency ({expected}).",
            code="currency_mismatch",
            details=[{"field": f"{field}.currency", "issue": "mismatch"}],
        )
