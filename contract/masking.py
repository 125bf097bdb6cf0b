"""Masking of taxpayers' identifiers for logs (and, later, for display).

`mask` is the one function: a phone becomes `+254 7•• ••• 892`, an email `j•••@e•••.com`, a PIN
or any other identifier `A00•••••7Z` — a recognisable head and tail, the middle hidden, with a
fixed number of bullets so the length does not leak either. Identity-graph identifiers keep
their kind (`phone:+254 7•• ••• 892`). `mask_text` applies it to every phone, email and PIN
inside free text such as an error message that quotes a payload.

Both are total: they never raise, whatever they are given, because they run inside log calls.
"""

from __future__ import annotations

import re

import phonenumbers

from contract.identifiers import normalize_phone

BULLET = "•"
_KINDS = ("user", "anon", "phone", "email")
_MAX_INPUT = 256  # longer values are cut first: only a head and a tail are ever shown
_PHONE_CHARS = re.compile(r"^\+?[\d\s().-]+$")

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PIN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d{9}[A-Za-z](?![A-Za-z0-9])")
# 9 to 15 digits, optionally after a '+' and with single spaces (0711 222 892); not inside a
# longer token (UUIDs, timestamps and stream ids stay readable).
_PHONE_RE = re.compile(r"(?<![\w.+-])\+?\d(?:[ ]?\d){8,14}(?![\w.-])")


def mask(value: object, region: str = "KE") -> str:
    """`value` with only a recognisable head and tail left (see the module docstring)."""
    try:
        return _mask(value, region)
    except Exception:  # a log line must never fail because of what it masks
        return BULLET * 3


def _mask(value: object, region: str) -> str:
    if value is None:
        return ""
    text = str(value).strip()[:_MAX_INPUT]
    if not text:
        return ""
    kind, sep, rest = text.partition(":")
    if sep and kind in _KINDS and rest:
        return f"{kind}:{_mask(rest, region)}"
    if "@" in text:
        return _mask_email(text)
    if _PHONE_CHARS.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        e164 = normalize_phone(text, region)
        if e164:
            return _mask_phone(e164)
    return _mask_id(text)


def _mask_email(text: str) -> str:
    local, _, domain = text.lower().rpartition("@")
    labels = domain.split(".")
    tld = f".{labels[-1]}" if len(labels) > 1 and labels[-1] else ""
    return f"{local[:1]}{BULLET * 3}@{labels[0][:1]}{BULLET * 3}{tld}"


def _mask_phone(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    national = str(number.national_number)
    if len(national) < 6:
        shown = BULLET * (len(national) - 2) + national[-2:]
    else:
        shown = national[0] + BULLET * (len(national) - 4) + national[-3:]
    # Grouped in threes from the right, as a number is read: 7•• ••• 892.
    groups = []
    while shown:
        groups.insert(0, shown[-3:])
        shown = shown[:-3]
    return f"+{number.country_code} " + " ".join(groups)


def _mask_id(text: str) -> str:
    if len(text) >= 8:
        return text[:3] + BULLET * 5 + text[-2:]
    if len(text) >= 4:
        return text[:1] + BULLET * 3
    return BULLET * 3


def _phone_or_as_is(match: re.Match[str], region: str) -> str:
    # Only numbers that are possible phone numbers: other long numbers (epoch times, counts)
    # carry no identity and stay readable.
    e164 = normalize_phone(match.group(0), region)
    return _mask_phone(e164) if e164 else match.group(0)


def mask_text(text: object, region: str = "KE") -> str:
    """`text` with every email, KRA PIN and phone number in it masked."""
    try:
        out = _EMAIL_RE.sub(lambda m: _mask_email(m.group(0)), str(text))
        out = _PIN_RE.sub(lambda m: _mask_id(m.group(0)), out)
        return _PHONE_RE.sub(lambda m: _phone_or_as_is(m, region), out)
    except Exception:  # never fail a log call; say that something was hidden
        return f"<{len(str(text))} characters, not shown: masking failed>"
