"""Campaigns: recipients, delivery, reads, replies and failures per campaign_id.

`NAMED` lists this area's named queries; queries/catalog.py adds them to the catalog.
"""

from __future__ import annotations

from queries.named import NamedQuery

NAMED: list[NamedQuery] = []
