"""ClickHouse SQL's lexer: tokens (quotes, comments, heredocs, bracket depth) and quoting.

Enough of ClickHouse's lexer to find the few keywords that route a request (warehouse/server/
statements.py) and that the guard refuses (warehouse/server/guard.py); chDB parses (and reports
errors on) the real statement.

The text is scanned as a `str` decoded with latin-1, so offsets are byte offsets into the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


class NeedMore(Exception):
    """The buffer ends inside a token: read more of the body before deciding."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word", "quoted" ("..." or `...`), "string" ('...'), "number", "punct"
    text: str
    start: int
    end: int
    depth: int  # bracket depth the token is at

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*")
_HEREDOC = re.compile(r"\$([A-Za-z0-9_]*)\$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPACE = " \t\n\r\f\v"


def tokens(text: str, final: bool = True) -> Iterator[Token]:
    """ClickHouse tokens of `text`; with final=False, raise NeedMore where the text may go on."""
    n = len(text)
    i = 0
    depth = 0
    while i < n:
        c = text[i]
        if c in _SPACE:
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if not nxt and not final and c in "-#/$":
            raise NeedMore  # could be the start of a comment or a heredoc
        if (c == "-" and nxt == "-") or (c == "#" and nxt in " !"):
            j = text.find("\n", i)
            if j < 0:
                if not final:
                    raise NeedMore
                return
            i = j + 1
            continue
        if c == "/" and nxt == "*":
            i = _skip_block_comment(text, i, final)
            continue
        if c in "'\"`":
            j = _skip_quoted(text, i, final)
            kind = "string" if c == "'" else "quoted"
            yield Token(kind, text[i:j], i, j, depth)
            i = j
            continue
        if c == "$":
            m = _HEREDOC.match(text, i)
            if m:
                close = text.find(m.group(0), m.end())
                if close < 0:
                    if not final:
                        raise NeedMore
                    close = n
                j = min(n, close + len(m.group(0)))
                yield Token("string", text[i:j], i, j, depth)
                i = j
                continue
        m = _WORD.match(text, i) or _NUMBER.match(text, i)
        if m:
            j = m.end()
            if j == n and not final:
                raise NeedMore  # the word may continue in the next chunk
            kind = "word" if not c.isdigit() else "number"
            yield Token(kind, m.group(0), i, j, depth)
            i = j
            continue
        if c in "([{":
            yield Token("punct", c, i, i + 1, depth)
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
            yield Token("punct", c, i, i + 1, depth)
        else:
            yield Token("punct", c, i, i + 1, depth)
        i += 1


def _skip_block_comment(text: str, i: int, final: bool) -> int:
    # ClickHouse block comments nest.
    n = len(text)
    level = 0
    while i < n:
        if text.startswith("/*", i):
            level += 1
            i += 2
        elif text.startswith("*/", i):
            level -= 1
            i += 2
            if level == 0:
                return i
        else:
            i += 1
    if not final:
        raise NeedMore
    return n


def _skip_quoted(text: str, i: int, final: bool) -> int:
    quote = text[i]
    n = len(text)
    j = i + 1
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == quote:
            if j + 1 < n and text[j + 1] == quote:  # doubled quote is an escaped quote
                j += 2
                continue
            if j + 1 == n and not final:
                raise NeedMore  # can't tell a closing quote from the first half of ''
            return j + 1
        j += 1
    if not final:
        raise NeedMore
    return n


def unquote(token: Token) -> str:
    """The value of a quoted identifier or string literal (or the word itself)."""
    if token.kind not in ("quoted", "string") or len(token.text) < 2:
        return token.text
    body = token.text[1:-1]
    quote = token.text[0]
    out: list[str] = []
    i = 0
    escapes = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "\\": "\\"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        elif c == quote and i + 1 < len(body) and body[i + 1] == quote:
            out.append(quote)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def quote_string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    if _IDENTIFIER.match(name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name))
