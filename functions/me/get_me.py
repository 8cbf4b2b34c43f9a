"""GET /v1/me — the caller's profile."""

from khaya.http import Router, caller, make_handler
from khaya.identity.me import get_profile
from khaya.identity.models import UserOut

router = Router()


@router.get("/v1/me", summary="My profile", tags=["me"])
def get_me() -> UserOut:
    return UserOut.model_validate(get_profile(caller().user_id))


handler = make_handler(router)
