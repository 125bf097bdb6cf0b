"""First-start hooks beyond the demo project (demo data, admin user) register here."""

from __future__ import annotations

from config.settings import Settings


def extra_first_start(settings: Settings) -> None:
    return None
