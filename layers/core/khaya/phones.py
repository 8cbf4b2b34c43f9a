"""Phone numbers: normalise to E.164, accept only full-length mobiles of the allowed regions.

``phonenumberslite`` (the ``phonenumbers`` package without geodata) parses and classifies.
South African local forms (``082 123 4567``) are read with ZA as the default region. A number
must be of type MOBILE (ZA 080 toll-free, 086 shared-cost and most 087 VoIP are not) *and*
have the full national length, because the library accepts some short ZA numbers as valid.
Allowed regions come from the setting ``ALLOWED_PHONE_REGIONS`` (default ``ZA,KE,NG,GH``).
"""

from __future__ import annotations

from khaya.errors import ValidationFailed

DEFAULT_REGIONS = "ZA,KE,NG,GH"
DEFAULT_PARSE_REGION = "ZA"
# National significant number length of a mobile number (the library allows shorter ZA forms).
_FULL_LENGTH = {"ZA": 9, "KE": 9, "NG": 10, "GH": 9}


def allowed_regions() -> frozenset[str]:
    from khaya.config import settings

    raw = settings().get("ALLOWED_PHONE_REGIONS") or DEFAULT_REGIONS
    return frozenset(r.strip().upper() for r in raw.split(",") if r.strip())


def _invalid(field: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: not a valid mobile number", details=[{"field": field, "issue": "invalid"}])


def _full_length(region: str) -> int:
    import phonenumbers

    if region in _FULL_LENGTH:
        return _FULL_LENGTH[region]
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    lengths = meta.mobile.possible_length if meta and meta.mobile else ()
    return max(lengths) if lengths else 0


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """``"082 123 4567"`` → ``"+27821234567"``; anything else than an allowed full mobile → 400."""
    import phonenumbers

    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise _invalid(field)
    try:
        number = phonenumbers.parse(text, DEFAULT_PARSE_REGION)
    except phonenumbers.NumberParseException:
        raise _invalid(field) from None
    region = phonenumbers.region_code_for_number(number)
    if region not in allowed_regions():
        raise _invalid(field)
    if not phonenumbers.is_valid_number(number):
        raise _invalid(field)
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise _invalid(field)
    if len(str(number.national_number)) != _full_length(region):
        raise _invalid(field)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def region_of(e164: str) -> str | None:
    """The ISO region of a stored (E.164) number: ``"+27821234567"`` → ``"ZA"``; ``None`` if unknown."""
    import phonenumbers

    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
    return str(region) if region and region != "ZZ" else None
