"""Identifiers: normalisation (shared by every edge so one person's ids compare equal), the
event key and the person id — each rule defined once here.

The warehouse's SQL repeats two of them, in `warehouse/views/session_events.sql`,
`warehouse/views/sessions.sql` and `queries/identity/events_by_channel.sql`: the event-key order
(`KEY_ORDER`) and the person-id hash (`person_id_for`). tests/test_rules_agree.py computes both in
ClickHouse and here on a table of cases.
"""

from __future__ import annotations

import hashlib

import phonenumbers

from contract.record import EventRecord

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


# Identifier kinds in key order, with the event field (and `events` column) each comes from:
# an event belongs to the person of the first one it carries (user > anon > phone > email).
KEY_ORDER: tuple[tuple[str, str], ...] = (
    ("user", "user_id"),
    ("anon", "anonymous_id"),
    ("phone", "phone"),
    ("email", "email"),
)


def identifiers(record: EventRecord) -> list[str]:
    """The event's identifiers ('user:…', 'anon:…', 'phone:…', 'email:…'), in key order.

    Placeholder ids are skipped; the edges store them as '' already (the SQL tests for '')."""
    out = []
    for kind, field in KEY_ORDER:
        value = getattr(record, field)
        if clean_id(value):
            out.append(f"{kind}:{value}")
    return out


def event_key(record: EventRecord) -> str:
    """The identifier whose person the event belongs to (`event:<id>` when it carries none)."""
    ids = identifiers(record)
    return ids[0] if ids else f"event:{record.event_id}"


def person_id_for(anchor: str) -> str:
    """Opaque person id of an identity anchor (the PIN, else the smallest identifier); the
    warehouse computes the same for keys no person_map row names:
    lower(substring(hex(SHA256(key)), 1, 16))."""
    return hashlib.sha256(anchor.encode()).hexdigest()[:16]
