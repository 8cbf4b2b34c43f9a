"""Identity keys follow the access-pattern table of ``khaya.identity.keys``."""

from __future__ import annotations

import pytest

from khaya.identity import keys


def test_identity_keys_follow_the_access_pattern_table() -> None:
    assert keys.user("u1") == ("USER#u1", "PROFILE")
    assert keys.phone("+27821234567") == ("PHONE#+27821234567", "PHONE")
    assert keys.refcode("THANDI7") == ("REFCODE#THANDI7", "REFCODE")
    assert keys.otp("+27821234567", "login") == ("OTP#+27821234567#login", "OTP")
    assert keys.refresh_token("abc") == ("RT#abc", "RT")
    assert keys.refresh_family("u1", "f1") == ("USER#u1", "RTF#f1")
    assert keys.rate_limit("otp", "+2782", 2911) == ("RL#otp#+2782#2911", "RL")
    assert keys.twilio_message("SM1") == ("TWMSG#SM1", "TWMSG")


@pytest.mark.parametrize("bad", ["", "a#b", "#"])
def test_a_user_id_that_could_collide_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        keys.user(bad)
    with pytest.raises(ValueError):
        keys.otp("+27821234567", bad)
