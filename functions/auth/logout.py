"""POST /v1/auth/logout — revoke the refresh token's family (public; the token is the credential)."""

from pydantic import Field

from khaya.api import ApiModel
from khaya.http import Router, make_handler, no_content
from khaya.identity.tokens import logout as logout_service

router = Router()


class LogoutIn(ApiModel):
    refresh_token: str = Field(min_length=1, max_length=200)


@router.post(
    "/v1/auth/logout",
    summary="Log out",
    description="Ends the session the refresh token belongs to. 204 for unknown tokens too.",
    tags=["auth"],
    responses={204: {"description": "Logged out"}},
)
def logout(body: LogoutIn):  # no return annotation: a 204 has no body to validate
    logout_service(body.refresh_token)
    return no_content()


handler = make_handler(router)
