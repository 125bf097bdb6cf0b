"""Test-only validation hook (NJIA_VALIDATION_HOOK=tests.hooks:reject_poison)."""

from __future__ import annotations

from contract.record import EventRecord


def reject_poison(record: EventRecord) -> None:
    if record.properties.get("poison"):
        raise ValueError("properties.poison: marked as poison by the test hook")
