"""The bench's percentile (linear interpolation between ranks, as numpy's default)."""

from __future__ import annotations

import pytest

from bench.stats import missed_by, percentile


def test_percentile_interpolates_between_ranks() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 5.0
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_missed_by_says_how_far_over() -> None:
    assert missed_by(0.2, 0.3).startswith("met")
    assert missed_by(0.9, 0.3).startswith("missed: 3.0×")
    assert missed_by(None, 0.3) == "not measured"
