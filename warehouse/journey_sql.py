"""The journey model's SQL, written once (`warehouse/journey/*.sql`) and used twice: by the
reference views (`warehouse/views/`, the definitions and the test oracle) over a project's
events, and by the model worker (`journeys/`) over the chains a batch touched.

A template reads `__SOURCE__`: a table expression with the columns it needs. A view file names a
template and its source as `{{ template: source }}` (the source is our own SQL, never input);
uses nest.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

JOURNEY_DIR = Path(__file__).parent / "journey"
TEMPLATES = (
    "membership", "session_rows", "person", "session_projection", "activity", "pages",
    "conversations", "messages", "touched", "chains_events", "chains_model",
)
# A use whose source holds no other use: uses nest, and render innermost first.
_USE = re.compile(r"\{\{\s*(\w+):((?:(?!\{\{).)*?)\s\}\}", re.S)


@cache
def _template(name: str) -> str:
    if name not in TEMPLATES:
        raise ValueError(f"unknown journey template {name!r} (known: {', '.join(TEMPLATES)})")
    return (JOURNEY_DIR / f"{name}.sql").read_text().strip().removesuffix(";")


def _table(source: str) -> str:
    source = source.strip()
    # `table WHERE …` may be followed by a WHERE: make it a subquery.
    return source if source.startswith("(") else f"(SELECT * FROM {source})"


def render(name: str, source: str, identifiers: str = "1") -> str:
    """Template `name` reading `source` (a table name, `table WHERE …`, or `(subquery)`);
    `identifiers` fills `person`'s condition (a view's use attaches every identifier's person)."""
    return (_template(name).replace("__SOURCE__", _table(source))
            .replace("__IDENTIFIERS__", identifiers))


def membership(source: str) -> str:
    return render("membership", source)


def session_rows(source: str) -> str:
    return render("session_rows", source)


def person(source: str, identifiers: str = "1") -> str:
    """The source's rows with the person of their `person_key`; `identifiers`: a condition on
    person_map's `identifier` keeping at least the source's keys (all of them by default)."""
    return render("person", source, identifiers)


def touched(source: str) -> str:
    return render("touched", source)


def chains_from_events() -> str:
    """Every event of the chains one recompute touches, read from `events` (a rebuild)."""
    return _template("chains_events")


def chains_from_model(fresh: str) -> str:
    """The same, read from the stored model plus the new events `fresh` (incremental)."""
    return _template("chains_model").replace("__FRESH__", _table(fresh))


@cache
def definition() -> str:
    """A hash of every journey template: the stored model records the one its rows were computed
    with, and the worker rebuilds a project whose rows were computed with another."""
    text = "\n".join(_template(name) for name in TEMPLATES)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def render_uses(text: str) -> str:
    """A view file's text with each `{{ template: source }}` replaced by the template."""
    while True:
        rendered = _USE.sub(lambda m: render(m.group(1), m.group(2)), text)
        if rendered == text:
            return rendered
        text = rendered
