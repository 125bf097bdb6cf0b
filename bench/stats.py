"""Small pure helpers for the bench's figures."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100) with linear interpolation between ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(seconds: Sequence[float]) -> dict[str, float]:
    return {"runs": len(seconds), "median": percentile(seconds, 50), "p95": percentile(seconds, 95),
            "min": min(seconds), "max": max(seconds)}


def ms(seconds: float | None) -> str:
    """Seconds as a short human figure: 12 ms, 1.23 s, 93 s."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.2f} s"
    return f"{seconds:.0f} s"


def missed_by(measured: float | None, target: float) -> str:
    """'met' or how many times over the target a figure is."""
    if measured is None:
        return "not measured"
    if measured <= target:
        return f"met ({measured / target:.0%} of the target)"
    return f"missed: {measured / target:.1f}× the target (+{ms(measured - target)})"
