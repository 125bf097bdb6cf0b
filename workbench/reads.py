"""The workbench's only door to data: cached calls into the query layer, as the signed-in user.

History is cached for 5 minutes and live numbers for 30 s (the seeds' cache TTLs); the Live
feed asks for `live=True` and bypasses the cache. Widget values reach the cached functions as
arguments (never read inside them), so the cache key is exactly the query and its parameters.

Access is the query layer's: `runner.authorize` runs before every cache lookup and `runner.run`
again on a miss, against the store as it is now, so a user signed out elsewhere, removed or
moved to other projects sees nothing more from the next query on — in a page or in a fragment
(the Live feed reruns on its own every second, without the app's sign-in check): there the
refusal reruns the whole app, which then shows the sign-in form.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NoReturn

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from metadata.access import AccessDenied, Principal
from queries import runner
from queries.catalog import HISTORY_TTL, LIVE_TTL, get_query
from workbench import auth

log = logging.getLogger("njia.workbench")

Frozen = tuple[tuple[str, str], ...]


def _freeze(params: Mapping[str, Any]) -> Frozen:
    # Strings: dates and numbers hash the same whatever type the page used.
    return tuple(sorted((k, str(v)) for k, v in params.items()))


# `_principal` (leading underscore) is not part of the cache key: results are per query and
# parameters, and access is checked before the cache is asked.
@st.cache_data(ttl=LIVE_TTL, show_spinner=False, max_entries=500)
def _cached_live(name: str, params: Frozen, _principal: Principal) -> pd.DataFrame:
    return runner.run(name, dict(params), _principal)


@st.cache_data(ttl=HISTORY_TTL, show_spinner=False, max_entries=500)
def _cached_history(name: str, params: Frozen, _principal: Principal) -> pd.DataFrame:
    return runner.run(name, dict(params), _principal)


def principal() -> Principal:
    """The signed-in user's principal; a refusal when there is none (signed out meanwhile)."""
    who = auth.principal()
    if who is None:
        refused(AccessDenied("not signed in"))
    return who


def refused(exc: AccessDenied) -> NoReturn:
    """Stop showing data. In a fragment's own run (the Live feed's tick, which skips the app's
    sign-in check), rerun the whole app: its check then shows the sign-in form, or the projects
    the user still has. In a full run the app has checked already: say why and stop."""
    log.info("workbench read refused: %s", exc)
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope="app")
    st.error(f"Access refused: {exc}. Sign in again or ask an administrator.")
    st.stop()


def load(name: str, params: Mapping[str, Any], *, live: bool = False) -> pd.DataFrame:
    """Run a named query for a page: cached by its TTL, or straight through when `live`.

    A refused parameter or a failed query stops the page with the reason (the runner has
    logged it with the query's name and parameters) instead of a traceback.
    """
    who = principal()
    try:
        with st.spinner(f"Loading {name.replace('_', ' ')}…"):
            runner.authorize(who, str(params.get("project", "")))
            if live:
                return runner.run(name, dict(params), who)
            ttl = get_query(name).ttl_seconds
            cached = _cached_live if ttl <= LIVE_TTL else _cached_history
            return cached(name, _freeze(params), who)
    except AccessDenied as exc:
        refused(exc)
    except runner.QueryParamError as exc:
        st.error(f"Cannot show {name}: {exc}")
    except runner.QueryFailed as exc:
        st.error(f"{exc}. The workbench log has the details.")
    st.stop()


@dataclass(frozen=True)
class _LiveReads:
    params: Frozen
    latest: pd.DataFrame
    per_minute: pd.DataFrame
    read_at: pd.Timestamp  # naive UTC, as the warehouse's instants


LIVE_STATE_KEY = "njia_live_reads"


def load_live(params: Mapping[str, Any], limit: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Live feed's two reads, uncached: (events per minute, the latest `limit` events).

    The latest events are read on every call; they are the cheap check of whether anything
    arrived. Events per minute are read again only when that check could have missed a change:
    other parameters, other latest events, a new minute (the window slides), or a latest event
    dated after the last read (not counted yet). Otherwise the previous result is the same
    one, and the feed's tick costs the warehouse one query instead of two.
    """
    latest = load("live_events", {**params, "limit": limit}, live=True)
    frozen = _freeze(params)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    last: _LiveReads | None = st.session_state.get(LIVE_STATE_KEY)
    if (last is not None and last.params == frozen and last.latest.equals(latest)
            and not last.per_minute.empty
            and last.per_minute["minute"].iloc[-1] == now.floor("min")
            and (latest.empty or latest["timestamp"].max() < last.read_at)):
        return last.per_minute, latest
    per_minute = load("events_per_minute", params, live=True)
    st.session_state[LIVE_STATE_KEY] = _LiveReads(frozen, latest, per_minute, now)
    return per_minute, latest


# A page's queries at once: the warehouse's reader pool runs several (embedded: 4 connections).
PREFETCH_WORKERS = 4


def prefetch(requests: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Run a page's cached queries concurrently, so its `load` calls that follow find them
    cached instead of running one after another. Access is checked first, as by `load`; a
    failure is left for that `load` to show."""
    who = principal()
    # A page's queries read one project: check each project once, not once per query.
    for project in dict.fromkeys(str(params.get("project", "")) for _name, params in requests):
        try:
            runner.authorize(who, project)
        except AccessDenied as exc:
            refused(exc)
    ctx = get_script_run_ctx()

    def one(request: tuple[str, Mapping[str, Any]]) -> None:
        name, params = request
        ttl = get_query(name).ttl_seconds
        cached = _cached_live if ttl <= LIVE_TTL else _cached_history
        try:
            cached(name, _freeze(params), who)
        except Exception:  # noqa: BLE001 - `load` runs it again and shows why
            log.debug("prefetch of %s failed; the page's load reports it", name, exc_info=True)

    with ThreadPoolExecutor(max_workers=PREFETCH_WORKERS,
                            initializer=lambda: add_script_run_ctx(None, ctx)) as pool:
        list(pool.map(one, requests))


def prepare(name: str, params: Mapping[str, Any]) -> runner.Prepared:
    """The query as it would run (the "SQL" expander), checked like a read."""
    try:
        return runner.prepare(name, dict(params), principal())
    except AccessDenied as exc:
        refused(exc)


def clear() -> None:
    """Forget cached results (after an admin changes a project's settings)."""
    _cached_live.clear()
    _cached_history.clear()
