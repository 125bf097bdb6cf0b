"""Statement analysis: what a request's SQL is, decided before chDB sees it.

The warehouse has to know, before it runs anything, whether a request is an INSERT carrying data
(stream the body into an insert connection), a SELECT (the query pool; streamable), a SET or USE
(session state, which must never stay behind on a pooled connection), and which output FORMAT the
query asks for (the response headers name it). A real parser is not needed for that: a tokenizer
that knows quotes, comments, heredocs and bracket depth (warehouse/server/sql.py) finds the few
keywords that matter, and chDB parses (and reports errors on) the real statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from warehouse.server.errors import (
    INTO_OUTFILE_NOT_ALLOWED,
    SYNTAX_ERROR,
    WarehouseError,
)
from warehouse.server.sql import (
    NeedMore,
    Token,
    is_identifier,
    quote_identifier,
    quote_string,
    tokens,
    unquote,
)

# --- INSERT with inline data ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InsertHead:
    """An INSERT whose data follows the statement: stream it with `send_insert(sql, fmt)`."""

    sql: str  # the statement without its FORMAT clause / VALUES keyword
    fmt: str  # the input format of the data
    data_start: int  # offset of the first data byte in the scanned text


def find_insert_head(text: str, final: bool) -> InsertHead | None:
    """Where the data of an INSERT begins; None if `text` is not an INSERT with inline data.

    Raises NeedMore while the answer depends on text not read yet. None covers every other
    statement, INSERT ... SELECT included: those are read whole and run as one query.
    """
    it = tokens(text, final)
    first = next(it, None)
    if first is None:
        if not final:
            raise NeedMore
        return None
    if first.upper != "INSERT":
        return None
    prev: Token = first
    for tok in it:
        if (
            tok.depth == 0
            and tok.kind == "word"
            and not (prev.text == "." and prev.end == tok.start)
        ):
            word = tok.upper
            if word in ("SELECT", "WITH"):
                return None
            if word == "VALUES":
                # The Values format skips the whitespace itself: data starts right after VALUES.
                return InsertHead(text[: tok.start].strip(), "Values", tok.end)
            if word == "FORMAT":
                name = next(it, None)
                if name is None:
                    if not final:
                        raise NeedMore
                    return None
                if name.kind not in ("word", "quoted"):
                    return None
                return InsertHead(
                    text[: tok.start].strip(), unquote(name), _data_start(text, name.end, final)
                )
        prev = tok
    return None


def insert_from_infile(head_sql: str, path: str, fmt: str) -> str:
    """`INSERT INTO t (cols) [SETTINGS ...]` + a file -> `INSERT INTO t (cols) FROM INFILE 'path'
    [SETTINGS ...] FORMAT fmt` (FROM INFILE has to come before SETTINGS)."""
    settings_at = len(head_sql)
    for tok in tokens(head_sql):
        if tok.depth == 0 and tok.upper == "SETTINGS":
            settings_at = tok.start
            break
    before, after = head_sql[:settings_at].rstrip(), head_sql[settings_at:].strip()
    infile = f"{before} FROM INFILE {quote_string(path)}"
    return (
        f"{infile} {after} FORMAT {quote_identifier(fmt)}"
        if after
        else (f"{infile} FORMAT {quote_identifier(fmt)}")
    )


def _data_start(text: str, pos: int, final: bool) -> int:
    # As ClickHouse's ParserInsertQuery: data starts after the first newline if there is one,
    # else after the spaces that follow the format name.
    n = len(text)
    while pos < n and text[pos] in " \t\f":
        pos += 1
    if pos < n and text[pos] == "\r":
        pos += 1
    if pos == n and not final:
        raise NeedMore  # a newline may still follow
    if pos < n and text[pos] == "\n":
        pos += 1
    return pos


# --- whole statements ---------------------------------------------------------------------

# Statements that produce a result set (ClickHouse names an output format for them).
RESULT_KEYWORDS = frozenset(
    {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "CHECK", "KILL", "("}
)
# Statements chDB can stream block by block (send_query refuses the others).
STREAMABLE_KEYWORDS = frozenset({"SELECT", "WITH", "("})


@dataclass(slots=True)
class Statement:
    text: str
    keyword: str  # first keyword, upper-cased ("(" for a parenthesised SELECT); "" if empty
    output_format: str | None = None  # the FORMAT clause, if any
    tokens: list[Token] = field(default_factory=list)
    format_at: int | None = None  # offset of the FORMAT keyword, if any

    @property
    def text_without_format(self) -> str:
        return self.text if self.format_at is None else self.text[: self.format_at].rstrip()

    @property
    def returns_rows(self) -> bool:
        return self.keyword in RESULT_KEYWORDS

    @property
    def streamable(self) -> bool:
        return self.keyword in STREAMABLE_KEYWORDS


def analyze(text: str) -> Statement:
    """Classify one complete statement; reject what ClickHouse's HTTP interface rejects too."""
    toks = list(tokens(text, final=True))
    if not toks:
        raise WarehouseError.make(SYNTAX_ERROR, "Empty query")
    first = toks[0]
    keyword = first.upper or first.text
    stmt = Statement(text=text, keyword=keyword, tokens=toks)
    for idx, tok in enumerate(toks):
        if tok.depth != 0:
            continue
        if tok.kind == "punct" and tok.text == ";":
            if idx + 1 < len(toks):
                # ClickHouse over HTTP runs one statement per request. chDB would run them all,
                # and a `SET` in the middle would stay behind on a pooled connection.
                raise WarehouseError.make(SYNTAX_ERROR, "Multi-statements are not allowed")
            continue
        word = tok.upper
        nxt = toks[idx + 1] if idx + 1 < len(toks) else None
        if word == "FORMAT" and nxt is not None and nxt.kind in ("word", "quoted"):
            stmt.output_format = unquote(nxt)
            stmt.format_at = tok.start
        elif word == "INTO" and nxt is not None and nxt.upper == "OUTFILE" and keyword != "INSERT":
            # The server-side file system is not the client's business (ClickHouse refuses too).
            raise WarehouseError.make(INTO_OUTFILE_NOT_ALLOWED, "INTO OUTFILE is not allowed")
    return stmt


@dataclass(frozen=True, slots=True)
class SetStatement:
    settings: dict[str, str]  # setting name -> value as SQL literal text
    params: dict[str, str]  # query parameter name (without param_) -> value text


def parse_set(stmt: Statement) -> SetStatement | None:
    """`SET a = 1, b = 'x', param_p = 5` split into settings and query parameters.

    None for `SET ROLE`, `SET DEFAULT ROLE`, `SET TRANSACTION ...` and anything else that is not
    a plain settings assignment.
    """
    toks = stmt.tokens
    if (
        stmt.keyword != "SET"
        or len(toks) < 2
        or toks[1].upper in ("ROLE", "DEFAULT", "TRANSACTION")
    ):
        return None
    body = [t for t in toks[1:] if not (t.depth == 0 and t.text == ";" and t.kind == "punct")]
    segments: list[list[Token]] = [[]]
    for tok in body:
        if tok.depth == 0 and tok.kind == "punct" and tok.text == ",":
            segments.append([])
        else:
            segments[-1].append(tok)
    settings: dict[str, str] = {}
    params: dict[str, str] = {}
    for seg in segments:
        if len(seg) < 3 or seg[0].kind not in ("word", "quoted") or seg[1].text != "=":
            raise WarehouseError.make(
                SYNTAX_ERROR, f"Cannot parse SET statement: {stmt.text[:200]}"
            )
        name = unquote(seg[0])
        value_text = stmt.text[seg[2].start : seg[-1].end]
        if name.startswith("param_"):
            # SET param_x = 'v' gives the value of the string literal, anything else its text.
            value = unquote(seg[2]) if len(seg) == 3 and seg[2].kind == "string" else value_text
            params[name[len("param_") :]] = value
        else:
            if not is_identifier(name):
                raise WarehouseError.make(SYNTAX_ERROR, f"Bad setting name {name!r}")
            settings[name] = value_text
    return SetStatement(settings, params)


def parse_use(stmt: Statement) -> str | None:
    """The database of `USE db` / `USE DATABASE db`."""
    toks = [t for t in stmt.tokens if not (t.kind == "punct" and t.text == ";")]
    if stmt.keyword != "USE":
        return None
    if len(toks) == 3 and toks[1].upper == "DATABASE":
        toks = [toks[0], toks[2]]
    if len(toks) != 2 or toks[1].kind not in ("word", "quoted"):
        raise WarehouseError.make(SYNTAX_ERROR, f"Cannot parse USE statement: {stmt.text[:200]}")
    return unquote(toks[1])
