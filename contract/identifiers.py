"""Identifier normalisation, shared by every edge so one person's ids compare equal."""

from __future__ import annotations

import hashlib

import phonenumbers

PLACEHOLDERS = frozenset({"", "null", "undefined", "0", "guest", "anonymous", "none", "nil"})


def is_placeholder(value: object) -> bool:
    """Ids that mean "no id" and must never link people (case-insensitive)."""
    return value is None or str(value).strip().lower() in PLACEHOLDERS


def clean_id(value: object) -> str:
    return "" if is_placeholder(value) else str(value).strip()


def normalize_phone(value: object, region: str = "KE") -> str | None:
    """E.164 form of a phone number ('0712 345 678', '254712345678' → '+254712345678').

    None when it cannot be parsed as a possible number.
    """
    if is_placeholder(value):
        return None
    raw = str(value).strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    candidates = [raw]
    # CRMs send international numbers without '+': try that reading first.
    if not raw.startswith("+") and not raw.startswith("0") and len(digits) > 9:
        candidates.insert(0, "+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def phone_country(e164: str) -> str:
    """ISO country of an E.164 number ('' when unknown)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def normalize_email(value: object) -> str | None:
    if is_placeholder(value):
        return None
    email = str(value).strip().lower()
    return email if "@" in email else None


def person_id_for(anchor: str) -> str:
    """Opaque person id of an identity anchor (the PIN, else the smallest identifier); the
    warehouse computes the same for keys no person_map row names:
    lower(substring(hex(SHA256(key)), 1, 16))."""
    return hashlib.sha256(anchor.encode()).hexdigest()[:16]
