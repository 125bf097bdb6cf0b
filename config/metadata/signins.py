"""Workbench sign-in sessions: a record per sign-in that sign-out, removal and a new password
revoke, so an old cookie replayed from anywhere no longer signs in (filled in by issue 8 §4)."""

from __future__ import annotations


def active(session_id: str, username: str) -> bool:
    """Whether the sign-in `session_id` of `username` is still valid."""
    return bool(session_id and username)
