"""PATCH /v1/me — change name, email, city or avatar key."""

from pydantic import Field

from khaya.api import ApiModel
from khaya.http import Router, caller, make_handler
from khaya.identity.me import update_profile
from khaya.identity.models import UserOut

router = Router()


class UpdateMeIn(ApiModel):
    name: str | None = Field(default=None, min_length=1, max_length=80, pattern=r"\S")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    city: str | None = Field(default=None, min_length=1, max_length=80)
    avatar_key: str | None = Field(
        default=None,
        max_length=300,
        pattern=r"^users/[^/]+/[A-Za-z0-9_-]{1,64}\.(?:jpg|jpeg|png|webp)$",
        description="An image of yours: `users/<yourId>/<name>.<jpg|jpeg|png|webp>`, nothing else (400).",
    )


@router.patch(
    "/v1/me",
    summary="Update my profile",
    tags=["me"],
    description="Send only the fields to change; null clears email, city or avatarKey.",
)
def update_me(body: UpdateMeIn) -> UserOut:
    changes = body.model_dump(by_alias=True, exclude_unset=True)
    return UserOut.model_validate(update_profile(caller().user_id, changes))


handler = make_handler(router)
