"""Write the generated definition blocks of docs/metrics.md from queries/definitions/*.toml.

Each area's block sits between `<!-- definitions:AREA -->` and `<!-- /definitions:AREA -->`;
`python -m tools.metrics_doc` rewrites them (and appends a missing one at the end), and
`--check` exits 1 when the document is not current (tests run it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from queries.definitions import area, areas, markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def block(name: str) -> str:
    return f"<!-- definitions:{name} -->\n{markdown(name)}\n<!-- /definitions:{name} -->"


def render(text: str) -> str:
    for name in areas():
        pattern = re.compile(rf"<!-- definitions:{name} -->.*?<!-- /definitions:{name} -->",
                             re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _m, n=name: block(n), text)
        else:
            text = text.rstrip("\n") + f"\n\n## {area(name).title}\n\n{block(name)}\n"
    return text


def main(argv: list[str]) -> int:
    current = DOC.read_text()
    wanted = render(current)
    if "--check" in argv:
        if wanted != current:
            print("docs/metrics.md is not current: run python -m tools.metrics_doc")
            return 1
        return 0
    DOC.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
