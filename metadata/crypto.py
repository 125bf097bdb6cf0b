"""Secrets at rest: hashes for keys and tokens we only compare; Fernet for what HMAC needs."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet

from config.settings import get_settings


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def hash_secret(value: str) -> str:
    # Keys are random 192-bit tokens, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(value.encode()).hexdigest()


def _fernet() -> Fernet:
    settings = get_settings()
    key = settings.secret_key or settings.demo_secret("secret_key")
    # Any string works as NJIA_SECRET_KEY: derive the 32-byte Fernet key from it.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
