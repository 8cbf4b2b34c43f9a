"""Keys of the identity items: accounts, phone and referral-code claims, codes, sessions, limits.

Every read is a ``GetItem`` or a key ``Query``; there is no Scan.

Access patterns (``pk | sk`` on the table; ``gsiN: pk | sk`` on an index):

- user profile: ``USER#<id> | PROFILE`` (get)
- unique phone: ``PHONE#<e164> | PHONE`` (put in the user's transaction, ``attribute_not_exists``)
- unique referral code: ``REFCODE#<code> | REFCODE`` (same)
- OTP: ``OTP#<e164>#<purpose> | OTP`` (hashed code, attempts, ``ttl``)
- refresh token: ``RT#<hash> | RT`` (get by the token's hash)
- refresh-token family: ``USER#<id> | RTF#<family>`` (sk_prefix ``RTF#`` to revoke all)
- rate limit window: ``RL#<scope>#<key>#<window> | RL`` (increment with limit, ``ttl``)
- Twilio message → the OTP it carried: ``TWMSG#<MessageSid> | TWMSG`` (get, for status callbacks; ``ttl``)
- everything of a user, for export: ``USER#<id>`` on the table and ``gsi1: USER#<id>`` (the
  other domains key a user's items there)

Other domains build on ``user_pk``: a user's items live in the ``USER#<id>`` partition.
"""

from __future__ import annotations

from khaya.db.keys import GSI1, join, part
from khaya.db.keys import Key as Key

USER_INDEX = GSI1
RTF_PREFIX = "RTF#"
PROFILE = "PROFILE"


def user_pk(user_id: str) -> str:
    return f"USER#{part(user_id)}"


def user(user_id: str) -> Key:
    return Key(user_pk(user_id), PROFILE)


def phone(e164: str) -> Key:
    return Key(f"PHONE#{part(e164)}", "PHONE")


def refcode(code: str) -> Key:
    return Key(f"REFCODE#{part(code)}", "REFCODE")


def otp(e164: str, purpose: str) -> Key:
    return Key(f"OTP#{join(e164, purpose)}", "OTP")


def refresh_token(token_hash: str) -> Key:
    return Key(f"RT#{part(token_hash)}", "RT")


def refresh_family(user_id: str, family_id: str) -> Key:
    return Key(user_pk(user_id), RTF_PREFIX + part(family_id))


def rate_limit(scope: str, key: str, window: str | int) -> Key:
    return Key(f"RL#{join(scope, key, str(window))}", "RL")


def twilio_message(message_sid: str) -> Key:
    return Key(f"TWMSG#{part(message_sid)}", "TWMSG")
