"""Enrichers add typed columns to an event row. Add one by implementing `Enricher`."""

from processor.enrich.base import Enricher, default_enrichers

__all__ = ["Enricher", "default_enrichers"]
