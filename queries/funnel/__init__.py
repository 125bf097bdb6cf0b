"""Funnels: what a funnel asks (params.py) and the one engine that answers it (engine.py)."""
