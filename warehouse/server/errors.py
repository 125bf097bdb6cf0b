"""ClickHouse-shaped errors for the warehouse's HTTP interface.

Clients (clickhouse-connect, curl scripts, BI tools) read the `X-ClickHouse-Exception-Code` header
and a body that starts with `Code: N. DB::Exception: ...`; chDB already raises its errors in that
text form, so we keep chDB's message verbatim and only parse the code and the symbolic name out of
it. Errors the warehouse itself detects (bad compression, locked session, ...) are built in the
same shape with ClickHouse's own codes, so a client cannot tell who raised them.
"""

from __future__ import annotations

import re
from typing import Final

from contract.masking import mask_text

# Codes raised by the warehouse itself (values as in ClickHouse's ErrorCodes.cpp).
UNEXPECTED_END_OF_FILE: Final = 3
CANNOT_READ_ALL_DATA: Final = 33
BAD_ARGUMENTS: Final = 36
NOT_IMPLEMENTED: Final = 48
SYNTAX_ERROR: Final = 62
UNKNOWN_FORMAT: Final = 73
UNKNOWN_COMPRESSION_METHOD: Final = 89
UNKNOWN_SETTING: Final = 115
READONLY: Final = 164
ACCESS_DENIED: Final = 497
AUTHENTICATION_FAILED: Final = 516
QUERY_WAS_CANCELLED: Final = 394
CANNOT_DECOMPRESS: Final = 271
INTO_OUTFILE_NOT_ALLOWED: Final = 358
SESSION_NOT_FOUND: Final = 372
SESSION_IS_LOCKED: Final = 373
UNKNOWN_EXCEPTION: Final = 1002

_NAMES: Final[dict[int, str]] = {
    UNEXPECTED_END_OF_FILE: "UNEXPECTED_END_OF_FILE",
    CANNOT_READ_ALL_DATA: "CANNOT_READ_ALL_DATA",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_FORMAT: "UNKNOWN_FORMAT",
    UNKNOWN_COMPRESSION_METHOD: "UNKNOWN_COMPRESSION_METHOD",
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    READONLY: "READONLY",
    ACCESS_DENIED: "ACCESS_DENIED",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    QUERY_WAS_CANCELLED: "QUERY_WAS_CANCELLED",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
    INTO_OUTFILE_NOT_ALLOWED: "INTO_OUTFILE_NOT_ALLOWED",
    SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    UNKNOWN_EXCEPTION: "UNKNOWN_EXCEPTION",
}

# ClickHouse's HTTPHandler maps exception codes to statuses by name; we do the same (names, not
# numbers, because chDB prints the name at the end of every message).
_BAD_REQUEST: Final = frozenset(
    {
        "CANNOT_PARSE_TEXT",
        "CANNOT_PARSE_ESCAPE_SEQUENCE",
        "CANNOT_PARSE_QUOTED_STRING",
        "CANNOT_PARSE_DATE",
        "CANNOT_PARSE_DATETIME",
        "CANNOT_PARSE_NUMBER",
        "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING",
        "CANNOT_PARSE_IPV4",
        "CANNOT_PARSE_IPV6",
        "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
        "CANNOT_PARSE_UUID",
        "DUPLICATE_COLUMN",
        "ILLEGAL_COLUMN",
        "UNKNOWN_ELEMENT_IN_AST",
        "UNKNOWN_TYPE_OF_AST_NODE",
        "THERE_IS_NO_COLUMN",
        "TOO_DEEP_AST",
        "TOO_BIG_AST",
        "UNEXPECTED_AST_STRUCTURE",
        "SYNTAX_ERROR",
        "INCORRECT_DATA",
        "TYPE_MISMATCH",
        "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
        "CANNOT_DECOMPRESS",
        "CANNOT_READ_ALL_DATA",
        "UNEXPECTED_END_OF_FILE",
        "BAD_ARGUMENTS",
        "UNKNOWN_COMPRESSION_METHOD",
        "INTO_OUTFILE_NOT_ALLOWED",
    }
)
_NOT_FOUND: Final = frozenset(
    {
        "UNKNOWN_TABLE",
        "UNKNOWN_FUNCTION",
        "UNKNOWN_IDENTIFIER",
        "UNKNOWN_TYPE",
        "UNKNOWN_STORAGE",
        "UNKNOWN_DATABASE",
        "UNKNOWN_SETTING",
        "UNKNOWN_DIRECTION_OF_SORTING",
        "UNKNOWN_AGGREGATE_FUNCTION",
        "UNKNOWN_FORMAT",
        "UNKNOWN_DATABASE_ENGINE",
        "UNKNOWN_TYPE_OF_QUERY",
        "UNKNOWN_ROLE",
        "SESSION_NOT_FOUND",
    }
)
_FORBIDDEN: Final = frozenset(
    {"ACCESS_DENIED", "READONLY", "UNKNOWN_USER", "AUTHENTICATION_FAILED", "WRONG_PASSWORD"}
)
_NOT_IMPLEMENTED: Final = frozenset({"NOT_IMPLEMENTED"})

_CODE_RE: Final = re.compile(r"Code:\s*(\d+)\.")
_NAME_RE: Final = re.compile(r"\(([A-Z][A-Z0-9_]+)\)")


class WarehouseError(Exception):
    """An error to send back as a ClickHouse exception.

    `text` is the full ClickHouse message (`Code: N. DB::Exception: ... (NAME)`), which is what
    goes into the response body.
    """

    def __init__(self, code: int, text: str, name: str | None = None) -> None:
        super().__init__(text)
        self.code = code
        self.text = text
        self.name = name or _name_from_text(text) or _NAMES.get(code)

    @classmethod
    def make(cls, code: int, message: str) -> WarehouseError:
        """An error raised by the warehouse itself, worded like ClickHouse's."""
        name = _NAMES.get(code, "UNKNOWN_EXCEPTION")
        return cls(code, f"Code: {code}. DB::Exception: {message}. ({name})", name)

    @property
    def http_status(self) -> int:
        name = self.name or ""
        if name in _BAD_REQUEST:
            return 400
        if name in _NOT_FOUND:
            return 404
        if name in _FORBIDDEN:
            return 403
        if name in _NOT_IMPLEMENTED:
            return 501
        # Not 503/504: clickhouse-connect retries those, and a retried failing query only doubles
        # the load it failed under.
        return 500


def _name_from_text(text: str) -> str | None:
    # The symbolic name is the last `(UPPER_CASE)` group before any version trailer.
    names = _NAME_RE.findall(text)
    return names[-1] if names else None


def from_exception(exc: BaseException) -> WarehouseError:
    """Turn whatever chDB raised into a WarehouseError, keeping its ClickHouse text.

    chDB's Python layer wraps some messages ("Streaming insert append failed: Code: 27. ..."), so
    the text is cut to start at `Code: N.`.
    """
    if isinstance(exc, WarehouseError):
        return exc
    message = str(exc)
    if isinstance(exc, UnicodeDecodeError) and isinstance(exc.object, bytes):
        # chDB failed to decode its own message: one that quotes binary data (a value that
        # did not cast). Keep ClickHouse's error, with the undecodable bytes replaced.
        message = exc.object.decode("utf-8", errors="replace")
    match = _CODE_RE.search(message)
    if match is None:
        return WarehouseError.make(UNKNOWN_EXCEPTION, f"{type(exc).__name__}: {message}")
    return WarehouseError(int(match.group(1)), message[match.start() :].strip())


def loggable(err: WarehouseError) -> str:
    """The error's first line for the log. A refused insert's message quotes row values (phones,
    emails, PINs): masked."""
    return mask_text(err.text.splitlines()[0][:500])
