"""Request bodies as JSON, refusing what JSON allows but nothing downstream can take.

Every ingestion route reads its body through here, so a hostile body is a 400 that says what is
wrong (never a 500 and never a traceback in the log), and whatever passes can be put on the
stream, read back by the processor and stored:
- UTF-8 only (RFC 8259 §8.1), so no lone surrogate reaches pydantic's serialiser (a 500 before);
- nesting at most `MAX_DEPTH` levels: deeper bodies made `json.loads` raise RecursionError (a 500)
  or, between ~200 and ~1000 levels, were accepted and then dead-lettered because pydantic's JSON
  parser in the processor stops at ~200;
- integers within 64 bits and finite floats: ClickHouse's JSON type turns larger integers into
  strings and pydantic serialises infinities as null, so such values would be silently changed.

Bodies are parsed with orjson (several times faster than `json`), which already refuses what the
rules above refuse except depth and integers beyond 64 bits (it reads those as floats). Whatever
orjson refuses, nests too deep or holds a float of an integer's magnitude beyond 64 bits is
parsed again by `json` with the hooks below, which decides: every 400 says what it always said.
"""

from __future__ import annotations

import codecs
import json
import math
from typing import Any

import orjson
from aiohttp import web

MAX_DEPTH = 64
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1
_MAX_INT_DIGITS = len(str(_UINT_MAX))


def bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}),
                              content_type="application/json")


class _Refused(ValueError):
    """A value the parser hooks refuse; its message is the client's error."""


def _no_constants(name: str) -> None:
    # Python's json accepts NaN/Infinity, which are not JSON and which ClickHouse refuses.
    raise _Refused(f"invalid JSON: {name} is not valid JSON")


def _parse_int(text: str) -> int:
    # Checked before int(): a 5000-digit literal would otherwise fail with Python's own message.
    if len(text.lstrip("-")) > _MAX_INT_DIGITS or not _INT_MIN <= int(text) <= _UINT_MAX:
        raise _Refused(f"invalid JSON: integer {_clip(text)} is out of range (64 bits)")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"invalid JSON: number {_clip(text)} is out of range (a finite double)")
    return value


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _check_text(value: str) -> None:
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(value[exc.start])
        raise _Refused(f"invalid JSON: lone surrogate \\u{code:04x} in a string "
                       "(not a Unicode character)") from None


def _check_tree(value: Any) -> None:
    """Depth and strings of the parsed body, iteratively (no recursion of our own)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, str):
            _check_text(node)
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise _Refused(f"invalid JSON: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, item in node.items():
                _check_text(key)
                pending.append((item, depth + 1))
        else:
            pending.extend((item, depth + 1) for item in node)


# orjson reads an integer literal outside 64 bits as a float: [-2**63, 2**64) holds every integer
# we accept, so a float outside it may have been one, and `json` must read that body.
_LOW, _HIGH = -float(2**63), float(2**64)


def _fast_checks(value: Any) -> str | None:
    """What the `json` path must decide about an orjson-parsed body: "deep" (containers nest
    deeper than MAX_DEPTH; the root is level 1), "number" (a float that may have been an integer
    outside 64 bits), or None. Level by level, visiting containers only; nothing recurses."""
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 1
    while level:
        if depth > MAX_DEPTH:
            return "deep"
        deeper = []
        for node in level:
            for item in node.values() if type(node) is dict else node:
                kind = type(item)
                if kind is dict or kind is list:
                    deeper.append(item)
                elif kind is float and not _LOW < item < _HIGH:
                    return "number"
        level = deeper
        depth += 1
    return None


def parse_json(raw: bytes) -> Any:
    """The body as JSON, or HTTP 400 saying what is wrong and where."""
    if not raw.strip():
        raise bad_request("empty body: expected a JSON object")
    try:
        body = orjson.loads(raw.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError:
        pass  # `json` below says what is wrong, and where, as it always has
    else:
        # orjson refuses invalid UTF-8, lone surrogates, NaN/Infinity and infinite numbers.
        if _fast_checks(body) is None:
            return body
    try:
        text = raw.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"invalid JSON: the body is not UTF-8 (byte 0x{raw[exc.start]:02x} "
                          f"at position {exc.start})") from None
    try:
        body = json.loads(text, parse_constant=_no_constants, parse_int=_parse_int,
                          parse_float=_parse_float)
        _check_tree(body)
        return body
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno} (byte {exc.pos})"
        message = f"invalid JSON at {where}: {exc.msg}"
    except RecursionError:
        message = f"invalid JSON: nested deeper than {MAX_DEPTH} levels"
    except _Refused as exc:
        message = str(exc)
    raise bad_request(message)


async def read_raw(request: web.Request) -> bytes:
    """The body's bytes, decoded from its Content-Encoding (aiohttp does that, and enforces
    client_max_size on the decoded bytes → 413, so a gzip bomb stops at the limit)."""
    try:
        return await request.read()
    except web.RequestPayloadError as exc:
        # A Content-Encoding that does not decode (or a body cut short): the client's fault.
        encoding = request.headers.get("Content-Encoding", "identity")
        detail = getattr(exc.__cause__, "message", None) or str(exc)
        error = bad_request(f"body: cannot read it with Content-Encoding {encoding!r}: "
                            f"{detail.strip()}")
        # The rest of this body cannot be read: close the connection after the answer, and mark
        # the body finished so aiohttp does not drain it after the handler and log the same
        # error again as an "Unhandled exception" with a traceback (once per hostile request).
        request.content.feed_eof()
        error.force_close()
        raise error from None


async def read_json(request: web.Request) -> Any:
    """The body as JSON whatever its Content-Type (a beacon sends text/plain)."""
    return parse_json(await read_raw(request))
