"""How values look on a page. Every identifier shown (phone, email, PIN, anonymous id) goes
through `identifier()`, the one place where masking can be switched on later."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import phonenumbers

# Masking hook: when True, identifiers keep only enough to be told apart (e.g. for screenshots
# shown outside KRA). Off by default: analysts need to find the taxpayer they are helping.
MASK_IDENTIFIERS = False

KINDS = ("user", "phone", "email", "anon")
KIND_LABELS = {"user": "PIN", "phone": "Phone", "email": "Email", "anon": "Anonymous"}


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def split_key(key: str) -> tuple[str, str]:
    """'phone:+2547…' → ('phone', '+2547…'); a bare value → ('', value)."""
    kind, sep, value = key.partition(":")
    return (kind, value) if sep and kind in KINDS else ("", key)


def _mask(kind: str, value: str) -> str:
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}•••@{domain}"
    if len(value) <= 4:
        return "•" * len(value)
    return f"{value[:3]}•••{value[-2:]}"


def identifier(value: Any, kind: str | None = None) -> str:
    """One identifier for display: 'phone:+254711000001' → '+254 711 000001'.

    `kind` is user / phone / email / anon; without it, a 'kind:' prefix in the value decides.
    """
    if _missing(value) or value == "":
        return ""
    text = str(value)
    if kind is None:
        kind, text = split_key(text)
    if kind == "phone":
        try:
            text = phonenumbers.format_number(
                phonenumbers.parse(text, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
        except phonenumbers.NumberParseException:
            pass
    elif kind == "email":
        text = text.lower()
    if MASK_IDENTIFIERS and kind in ("user", "phone", "email"):
        text = _mask(kind, text)
    if kind == "anon":
        text = f"anonymous {text[:12]}"
    return text


def person(person_key: Any, person_id: Any = "") -> str:
    """A person as analysts recognise them: their best identifier, else the person id."""
    shown = identifier(person_key)
    kind, _ = split_key(str(person_key or ""))
    label = KIND_LABELS.get(kind, "")
    if shown:
        return f"{label} {shown}" if kind in ("user", "email") else shown
    return f"person {person_id}" if person_id else ""


def best_key(keys: Any) -> str:
    """The most telling of several identifier keys: a PIN, else a phone, an email, an anon id."""
    ranked = sorted((str(k) for k in keys if k), key=lambda k: (
        ("user", "phone", "email", "anon").index(split_key(k)[0])
        if split_key(k)[0] else 9))
    return ranked[0] if ranked else ""


def count(value: Any) -> str:
    return "—" if _missing(value) else f"{int(round(float(value))):,}"


def percent(value: Any, digits: int = 1) -> str:
    return "—" if _missing(value) else f"{float(value) * 100:.{digits}f} %"


def duration(seconds: Any) -> str:
    """240 → '4 min 0 s'; 3725 → '1 h 2 min'; 12.5 → '12.5 s'."""
    if _missing(seconds):
        return "—"
    s = float(seconds)
    if s < 60:
        return f"{s:.0f} s" if s == int(s) else f"{s:.1f} s"
    if s < 3600:
        minutes, rest = divmod(round(s), 60)
        return f"{minutes} min {rest} s"
    hours, rest = divmod(round(s), 3600)
    return f"{hours} h {rest // 60} min"


def relative(seconds: Any) -> str:
    """Seconds since a session's start: '+0 s', '+1 min 30 s'."""
    return "—" if _missing(seconds) else f"+{duration(seconds)}"


def change(ratio: Any, absolute: Any = None, *, points: bool = False) -> str | None:
    """Change vs the previous period for st.metric's delta; None when there is nothing to
    compare with. Rates change in percentage points, everything else in percent."""
    if points:
        return None if _missing(absolute) else f"{float(absolute) * 100:+.1f} pp"
    return None if _missing(ratio) else f"{float(ratio) * 100:+.1f} %"


def local_time(value: Any, tz: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A UTC instant (naive, as the warehouse returns it) shown in the project's time zone."""
    if _missing(value):
        return ""
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert(ZoneInfo(tz)).strftime(fmt)


def date_span(start: date, end: date) -> str:
    if start == end:
        return start.strftime("%-d %b %Y")
    if start.year == end.year:
        return f"{start.strftime('%-d %b')} – {end.strftime('%-d %b %Y')}"
    return f"{start.strftime('%-d %b %Y')} – {end.strftime('%-d %b %Y')}"


def utc_naive_to_local(series: pd.Series, tz: str) -> pd.Series:
    """A column of naive UTC instants → aware instants in `tz` (for charts and tables)."""
    return pd.to_datetime(series).dt.tz_localize("UTC").dt.tz_convert(tz)


def wall_clock(series: pd.Series, tz: str) -> pd.Series:
    """Naive UTC instants → naive wall-clock times in `tz`, so a chart's time axis reads in the
    project's zone whatever the viewer's browser zone is (Vega treats naive times as local)."""
    return utc_naive_to_local(series, tz).dt.tz_localize(None)


def now_label(tz: str) -> str:
    return datetime.now(ZoneInfo(tz)).strftime("%H:%M:%S")


# How each Overview KPI is shown (tests compare the page's text with `njia query overview`).
KPI_KINDS = {"sessions": "count", "people": "count", "identified_people": "count",
             "anonymous_people": "count", "conversion_rate": "percent",
             "avg_duration_s": "duration"}


def kpi(metric: str, value: Any) -> str:
    kind = KPI_KINDS[metric]
    return count(value) if kind == "count" else percent(value) if kind == "percent" \
        else duration(value)


def kpi_change(metric: str, ratio: Any, absolute: Any) -> str | None:
    return change(ratio, absolute, points=KPI_KINDS[metric] == "percent")
