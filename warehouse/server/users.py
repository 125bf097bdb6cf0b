"""The warehouse's users, as a ClickHouse server has them: chDB has none (`CREATE USER` fails),
so they live here, in the front.

Two users: the writer (migrations, the processor) and the reader (workbench, API, `njia query`,
`njia sql`), whose requests run on connections opened with `readonly=1`. Credentials come as
ClickHouse takes them: HTTP Basic, `X-ClickHouse-User`/`X-ClickHouse-Key`, or the `user` and
`password` URL parameters. Anything else is ClickHouse's AUTHENTICATION_FAILED (516), with the
same message whether the user or the password was wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from config.settings import WAREHOUSE_READER as READER
from config.settings import WAREHOUSE_WRITER as WRITER
from warehouse.server.errors import AUTHENTICATION_FAILED, WarehouseError


@dataclass(frozen=True, slots=True)
class WarehouseUser:
    name: str
    readonly: bool


def _digest(password: str) -> bytes:
    # Compare digests, so the comparison's time does not depend on the password's length.
    return hashlib.sha256(password.encode()).digest()


class Users:
    def __init__(self, passwords: Mapping[str, tuple[str, bool]]) -> None:
        """`passwords`: user name -> (password, readonly)."""
        for name, (password, _) in passwords.items():
            if not password:
                raise ValueError(f"warehouse user {name} needs a password")
        self._users = {name: (_digest(password), WarehouseUser(name, readonly))
                       for name, (password, readonly) in passwords.items()}

    @classmethod
    def njia(cls, writer_password: str, reader_password: str) -> Users:
        return cls({WRITER: (writer_password, False), READER: (reader_password, True)})

    def authenticate(self, headers: Mapping[str, str], params: Mapping[str, str]) -> WarehouseUser:
        name, password = credentials(headers, params)
        known = self._users.get(name)
        # Always one comparison, known user or not.
        expected = known[0] if known else _digest("\0unknown user\0")
        if not hmac.compare_digest(_digest(password), expected) or known is None:
            raise WarehouseError.make(
                AUTHENTICATION_FAILED,
                f"{name}: Authentication failed: password is incorrect, or there is no user "
                "with such name",
            )
        return known[1]


def credentials(headers: Mapping[str, str], params: Mapping[str, str]) -> tuple[str, str]:
    """(user, password) as sent; ("default", "") when none were, as ClickHouse assumes."""
    auth = headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, _, password = decoded.partition(":")
        return user or "default", password
    if "X-ClickHouse-User" in headers or "X-ClickHouse-Key" in headers:
        return headers.get("X-ClickHouse-User") or "default", headers.get("X-ClickHouse-Key", "")
    return params.get("user") or "default", params.get("password", "")
