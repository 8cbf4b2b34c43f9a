"""API models shared by the auth and Me routes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from khaya.api import ApiModel

Role = Literal["client", "worker", "admin"]
Phone = Field(min_length=5, max_length=32, description="E.164 or a South African local form", examples=["+27821234567"])
Code = Field(pattern=r"^\d{6}$", description="The 6-digit code", examples=["123456"])


class OtpOut(ApiModel):
    channel: Literal["whatsapp", "sms"]
    expires_in: int = Field(description="Seconds until the code expires")
    resend_after: int = Field(description="Seconds before another code can be asked for")


class UserOut(ApiModel):
    user_id: str
    phone: str | None = None
    name: str
    role: Role
    status: str
    email: str | None = None
    city: str | None = None
    avatar_key: str | None = None
    referral_code: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class TokensOut(ApiModel):
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="Seconds until the access token expires")
    token_type: Literal["Bearer"] = "Bearer"
    user: UserOut
