"""The AI agent: classifications, confidence, latency, errors, intents.

`NAMED` lists this area's named queries; queries/catalog.py adds them to the catalog.
"""

from __future__ import annotations

from queries.named import NamedQuery

NAMED: list[NamedQuery] = []
