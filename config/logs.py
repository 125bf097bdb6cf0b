"""Logging set-up shared by every program: one line per record, with the program's name."""

from __future__ import annotations

import logging
import sys


def setup_logging(program: str, level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format=f"%(asctime)s {program} %(levelname)s %(name)s: %(message)s",
    )
