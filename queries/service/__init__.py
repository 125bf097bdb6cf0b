"""The KRA service report: self-serve vs assisted per service, and the web journeys.

`NAMED` lists this area's named queries; queries/catalog.py adds them to the catalog.
"""

from __future__ import annotations

from queries.named import NamedQuery

NAMED: list[NamedQuery] = []
