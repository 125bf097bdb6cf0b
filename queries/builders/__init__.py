"""Builders for queries whose *shape* varies: structure from validated values only, every value
a bound parameter. Each returns the SQL text; the params model's `bind()` gives the values."""
