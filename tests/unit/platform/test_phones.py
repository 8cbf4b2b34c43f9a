"""Phone numbers: E.164 out, only full-length mobiles of the allowed regions in."""

import pytest

from khaya.errors import ValidationFailed
from khaya.phones import normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("082 123 4567", "+27821234567"),
        ("0821234567", "+27821234567"),
        ("+27 82 123 4567", "+27821234567"),
        ("+27-82-123-4567", "+27821234567"),
        ("+254712345678", "+254712345678"),
        ("+2348031234567", "+2348031234567"),
        ("+233241234567", "+233241234567"),
    ],
)
def test_accepted_mobiles_come_out_in_e164(raw, e164):
    # Given a South African local form or an international mobile of an allowed region
    # When it is normalised
    # Then the E.164 form comes out
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "0800123456",  # ZA toll-free
        "0861234567",  # ZA shared cost
        "0871234567",  # ZA VoIP
        "082123456",  # 8-digit ZA number the library calls valid
        "+2782123456",
        "+14155550123",  # US: not an allowed region
        "+447911123456",  # UK mobile: not allowed
        "0211234567",  # Cape Town landline
        "not a phone",
        "",
        "+27" + "1" * 40,
    ],
)
def test_landlines_short_numbers_and_other_regions_are_refused(raw):
    with pytest.raises(ValidationFailed) as err:
        normalize_phone(raw)
    assert err.value.status == 400
    assert err.value.details == [{"field": "phone", "issue": "invalid"}]


def test_allowed_regions_come_from_configuration(monkeypatch):
    from khaya.config import reset_settings

    # Given only Kenya is allowed
    monkeypatch.setenv("ALLOWED_PHONE_REGIONS", "KE")
    reset_settings()
    # Then a Kenyan mobile passes and a South African one no longer does
    assert normalize_phone("+254712345678") == "+254712345678"
    with pytest.raises(ValidationFailed):
        normalize_phone("0821234567")
