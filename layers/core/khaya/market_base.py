"""Small pieces the marketplace services share: API model base, paging, transaction retry."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from khaya.errors import Conflict

if TYPE_CHECKING:
    from khaya.db import TxAction

T = TypeVar("T")

CONCURRENT_CHANGE = "concurrent_change"  # khaya.db's code for TransactionConflict


class CamelModel(BaseModel):
    """API models: camelCase on the wire, snake_case in Python; unknown item attributes ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Page(CamelModel, Generic[T]):  # noqa: UP046 - pydantic generic model
    items: list[T]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Any) -> Self:
        """A ``db.Page`` (items as stored) as this API list."""
        return cls.model_validate({"items": page.items, "next_cursor": page.next_cursor})


class Retry(Conflict):
    """Internal: a condition on data read a moment ago failed; read again and retry."""

    code = "concurrent_change"
    default_message = "Another change to the same data is in progress; try again."


def transact_retrying(build: Callable[[], list[TxAction]], attempts: int = 4) -> None:
    """Build and run a transaction; rebuild and retry it (with jitter) when it lost a race it
    can recover from (``Retry`` from a stale read, or DynamoDB's TransactionConflict).

    Conditions that express a real state (a job no longer open, a limit reached) raise their
    own error straight away. Each attempt carries its own ``ClientRequestToken``, so when
    botocore resends an attempt whose answer was lost (a timeout), DynamoDB answers with the
    first outcome instead of applying it again or failing the winner's condition.
    """
    import uuid

    from khaya import db

    for attempt in range(attempts):
        try:
            db.transact(build(), token=uuid.uuid4().hex)
            return
        except Conflict as exc:
            if exc.code != CONCURRENT_CHANGE or attempt == attempts - 1:
                raise
        time.sleep(random.uniform(0.005, 0.03 * 2**attempt))
