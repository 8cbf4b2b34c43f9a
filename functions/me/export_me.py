"""GET /v1/me/export — everything held about the caller, as JSON."""

from typing import Any

from khaya.http import Router, caller, make_handler
from khaya.identity.me import export_account

router = Router()


@router.get("/v1/me/export", summary="Export my data", tags=["me"])
def export_me() -> dict[str, Any]:
    return export_account(caller().user_id)


handler = make_handler(router, validation=False)
