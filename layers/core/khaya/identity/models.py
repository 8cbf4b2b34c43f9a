"""API models shared by the auth and Me routes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from khaya.api import ApiModel

Role = Literal["client", "worker", "admin"]
Phone = Field(
    min_length=5,
    max_length=32,
    pattern=r"^\+?[0-9 ().-]+$",
    description=(
        "A mobile number of an allowed region (South Africa, Kenya, Nigeria, Ghana), in E.164 "
        "(`+27821234567`) or South African local form (`082 123 4567`); spaces, dots, dashes and "
        "brackets are ignored. Landlines, toll-free and short numbers are refused (400)."
    ),
    examples=["+27821234567", "082 123 4567"],
)
Password = Field(
    min_length=10,
    max_length=128,
    description="10 to 128 characters, any characters (length, not composition rules).",
    examples=["correct horse battery staple"],
)
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
