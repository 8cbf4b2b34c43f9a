"""GET /v1/me — the caller's profile."""

from khaya.auth.models import UserOut
from khaya.http import Router, caller, make_handler
from khaya.users import get_profile

router = Router()


@router.get("/v1/me", summary="My profile", tags=["me"])
def get_me() -> UserOut:
    return UserOut.model_validate(get_profile(caller().user_id))


handler = make_handler(router)
