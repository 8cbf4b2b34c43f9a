"""Passwords: scrypt with OWASP parameters, a length rule, the same work for unknown accounts."""

import hashlib

import pytest

from khaya.errors import ValidationFailed
from khaya.identity import passwords


def test_default_parameters_are_owasp_scrypt():
    # Given no override
    # When a password is hashed
    stored = passwords.hash_password("correct horse battery")
    # Then it uses N=2^17, r=8, p=1 and verifies, and a wrong password does not
    scheme, log2_n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, log2_n, r, p) == ("scrypt", "17", "8", "1")
    assert passwords.verify_password("correct horse battery", stored)
    assert not passwords.verify_password("correct horse batterx", stored)


def test_two_hashes_of_one_password_differ(monkeypatch):
    from khaya.config import reset_settings

    monkeypatch.setenv("PASSWORD_SCRYPT_LOG2_N", "10")
    reset_settings()
    assert passwords.hash_password("same password 1") != passwords.hash_password("same password 1")


@pytest.mark.parametrize("bad", ["short", "x" * 9, "x" * 129])
def test_length_rule(bad):
    with pytest.raises(ValidationFailed) as err:
        passwords.check_password_rules(bad)
    assert err.value.details[0]["issue"] == "length"


def test_unknown_account_costs_the_same_scrypt_work(monkeypatch):
    from khaya.config import reset_settings

    monkeypatch.setenv("PASSWORD_SCRYPT_LOG2_N", "10")
    reset_settings()
    real = passwords.hash_password("a real password")
    calls: list[int] = []
    original = hashlib.scrypt

    def counting(*args, **kw):
        calls.append(kw["n"])
        return original(*args, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    passwords.verify_password("guess guess guess", None)  # warms the dummy hash
    calls.clear()
    # When a login checks a known account, then an unknown one
    assert not passwords.verify_password("guess guess guess", real)
    known = list(calls)
    calls.clear()
    assert not passwords.verify_password("guess guess guess", None)
    # Then both did exactly one scrypt derivation with the same cost
    assert known == calls == [1 << 10]


def test_needs_rehash_when_parameters_rise(monkeypatch):
    from khaya.config import reset_settings

    monkeypatch.setenv("PASSWORD_SCRYPT_LOG2_N", "10")
    reset_settings()
    old = passwords.hash_password("a real password")
    monkeypatch.setenv("PASSWORD_SCRYPT_LOG2_N", "11")
    reset_settings()
    assert passwords.needs_rehash(old)
    assert passwords.verify_password("a real password", old)
