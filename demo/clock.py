"""Demo time: integer milliseconds since the epoch, and the rhythms traffic follows.

Everything is in integer ms so that the same seed gives byte-identical payloads (no float
drift), formatted like the SDK's `Date.toISOString()` (`2026-01-15T09:12:33.123Z`).
"""

from __future__ import annotations

import bisect
import math
import random
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EAT_OFFSET_H = 3  # Africa/Nairobi, UTC+3, no DST

# Relative activity per local hour: quiet at night, a mid-morning peak (office hours, people
# filing at work) and an evening peak (filing from the phone after work).
HOUR_WEIGHTS = (0.12, 0.06, 0.04, 0.03, 0.05, 0.14, 0.40, 0.85, 1.35, 1.80, 2.00, 1.90,
                1.50, 1.40, 1.50, 1.40, 1.30, 1.35, 1.55, 1.85, 1.95, 1.60, 0.95, 0.40)
# Monday … Sunday: weekdays busier, Sunday quietest.
WEEKDAY_WEIGHTS = (1.15, 1.10, 1.05, 1.00, 0.95, 0.60, 0.45)


def iso(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def local(ms: int, offset_h: int = EAT_OFFSET_H) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC) + timedelta(hours=offset_h)


def deadline_factor(day: date, journey: str) -> float:
    """Filing rush: monthly returns (TOT, MRI, monthly NIL) are due on the 20th; annual NIL
    returns on June 30."""
    factor = 1.0
    if 14 <= day.day <= 20:
        factor = 1.0 + (day.day - 13) * 0.3  # builds up to ×3.1 on the 20th
    elif day.day == 21:
        factor = 1.3  # late filers and penalty questions
    if journey == "NIL" and day.month == 6 and day.day >= 20:
        factor *= 2.0
    return factor


class Rhythm:
    """Samples moments in [start, end) by hour-of-day, weekday and deadline weights."""

    def __init__(self, start_ms: int, end_ms: int, offset_h: int = EAT_OFFSET_H,
                 journey: str = "") -> None:
        self.slots: list[tuple[int, int]] = []  # (from, to) ms, each within one UTC hour
        weights: list[float] = []
        slot = start_ms - start_ms % HOUR
        while slot < end_ms:
            lo, hi = max(slot, start_ms), min(slot + HOUR, end_ms)
            at = local(slot, offset_h)
            weight = (HOUR_WEIGHTS[at.hour] * WEEKDAY_WEIGHTS[at.weekday()]
                      * deadline_factor(at.date(), journey) * (hi - lo) / HOUR)
            self.slots.append((lo, hi))
            weights.append(weight)
            slot += HOUR
        self.cumulative = list(accumulate(weights))

    def sample(self, rng: random.Random) -> int:
        index = bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])
        lo, hi = self.slots[min(index, len(self.slots) - 1)]
        return rng.randrange(lo, max(hi, lo + 1))


def business_hours(ms: int) -> bool:
    """The contact centre's staffed hours (EAT): weekdays 08–17, Saturday 09–13."""
    at = local(ms)
    if at.weekday() < 5:
        return 8 <= at.hour < 17
    return at.weekday() == 5 and 9 <= at.hour < 13


def next_opening(ms: int) -> int:
    """The next moment the contact centre is staffed (ms itself when it is)."""
    at = local(ms).replace(minute=0, second=0, microsecond=0)
    for _ in range(24 * 8):
        candidate = to_ms(at - timedelta(hours=EAT_OFFSET_H))
        if business_hours(candidate) and candidate + HOUR > ms:
            return max(candidate, ms)
        at += timedelta(hours=1)
    return ms


def lognormal_ms(rng: random.Random, median_s: float, sigma: float = 0.6,
                 low_s: float = 0.2, high_s: float | None = None) -> int:
    """A positive duration around `median_s` with a long right tail, clamped to [low, high]."""
    value = rng.lognormvariate(math.log(median_s), sigma)
    value = max(low_s, value if high_s is None else min(high_s, value))
    return int(value * 1000)
