"""The processors' counters, as the collector's /metrics reads them: one Redis hash that every
processor adds to, so several processors sum up."""

from __future__ import annotations

PROCESSOR_COUNTERS_KEY = "njia:metrics:processor"

# Why the identity graph refused a link; each has a counter `REFUSED_COUNTER_PREFIX + reason`.
REFUSAL_REASONS = ("pin_conflict", "component_too_large", "replay_too_slow")
REFUSED_COUNTER_PREFIX = "identity_links_refused:"
