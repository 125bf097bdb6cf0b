"""How `njia` commands print: JSON on stdout, one line on stderr for an error (exit 2)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


def emit(value: Any) -> None:
    print(json.dumps(value, indent=2, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def fail(message: str) -> int:
    print(f"njia: {message}", file=sys.stderr)
    return 2
