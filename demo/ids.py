"""Identifiers drawn from the seeded generator, so the same seed gives the same ids."""

from __future__ import annotations

import random
import string
import uuid

_WAMID_ALPHABET = string.ascii_uppercase + string.digits


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID like the SDK's crypto.randomUUID(), but reproducible."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def crm_event_id(rng: random.Random) -> str:
    # Each CRM webhook delivery has its own id; the collector derives event_id from it.
    return f"evt_{rng.getrandbits(96):024x}"


def wamid(rng: random.Random) -> str:
    """A WhatsApp message id (`wamid.…`), shared by a message and its receipts."""
    return "wamid.HBgM" + "".join(rng.choices(_WAMID_ALPHABET, k=30))


def kra_pin(rng: random.Random) -> str:
    """An individual's KRA PIN: `A`, nine digits, a check letter (A012345678Z)."""
    return f"A{rng.randrange(10**9):09d}{rng.choice(string.ascii_uppercase)}"


def receipt_number(rng: random.Random, year: int) -> str:
    return f"KRA{year}{rng.randrange(10**10):010d}"


def prn(rng: random.Random, year: int) -> str:
    """Payment Registration Number: 13 digits, starting with the year."""
    return f"{year}{rng.randrange(10**9):09d}"
