"""Money: integer minor units plus an ISO currency, never a float."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

Currency = Literal["ZAR", "NGN", "GHS", "KES", "USD"]
CURRENCIES: tuple[str, ...] = ("ZAR", "NGN", "GHS", "KES", "USD")
MAX_AMOUNT = 10**12  # minor units; far above any real job, far below float trouble


class Money(BaseModel):
    """``{"amount": 150000, "currency": "ZAR"}`` is R1 500.00."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: StrictInt = Field(ge=0, le=MAX_AMOUNT, description="Integer minor units (cents, kobo, pesewas).")
    currency: Currency

    def to_item(self) -> dict[str, object]:
        return {"amount": self.amount, "currency": self.currency}
