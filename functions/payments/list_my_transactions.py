"""GET /v1/me/transactions — the caller's ledger entries, newest first (one GSI query)."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.params import Query
from khaya.payments import ledger

router = Router()


@router.get(
    "/v1/me/transactions",
    summary="My transactions",
    description="Charges and refunds of a client; payouts, fees and reversals of a worker. Amounts are positive.",
    tags=["payments"],
)
def list_my_transactions(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ledger.TransactionPage:
    return ledger.list_transactions(caller().user_id, limit=limit, cursor=cursor)


handler = make_handler(router)
