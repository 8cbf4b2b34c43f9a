"""POST /v1/auth/refresh — rotate a refresh token (public; the token is the credential)."""

from pydantic import Field

from khaya.api import ApiModel
from khaya.http import Router, make_handler
from khaya.identity.models import TokensOut
from khaya.identity.tokens import refresh

router = Router()


class RefreshIn(ApiModel):
    refresh_token: str = Field(min_length=20, max_length=200)


@router.post(
    "/v1/auth/refresh",
    summary="Refresh the tokens",
    description="Returns a new pair; the presented refresh token is used up. Reusing one revokes its whole family.",
    tags=["auth"],
)
def refresh_token(body: RefreshIn) -> TokensOut:
    return TokensOut.model_validate(refresh(body.refresh_token))


handler = make_handler(router)
