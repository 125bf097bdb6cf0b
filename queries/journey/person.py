"""Who a journey search names: the person, their identifiers and the model's chains holding them.

A search is any identifier as people type it — a phone in any common format, an email, a KRA PIN
or user id, an anonymous id, with or without its `kind:` prefix — or a session or conversation
id (Njia's `w-…`/`c-…`, the SDK's session id, the CRM's chat id), or a person id. The look-up
runs before the journey queries (the runner calls `look_up` of their params), so the page,
`njia query` and the API bind the same values, and the queries read the person's rows by chain
(journey_events' sort key) instead of scanning for a person id.

Cost at 10 M events: two short reads (person_map by key, then the event key's bloom index),
~40 ms; a session id or a fallback adds one read, only when the search is one (a person id of
someone never linked: two, ~100 ms more).
`queries/persons.py`'s `parse_identifier` asks `events` which kind a bare value was seen as,
which scans 10 M rows (~150 ms); here every plausible key is tried against person_map and the
model at once, in order of preference.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from contract.identifiers import normalize_email, normalize_phone, person_id_for
from warehouse.client import get_client

SQL = Path(__file__).parent
KINDS = ("user", "anon", "phone", "email")
# Which key names a person best when several are found (a PIN, then a number, …).
RANK = {"user": 0, "phone": 1, "email": 2, "anon": 3}
NJIA_SESSION = re.compile(r"^[wc]-[0-9a-f]{20}$")
PERSON_ID = re.compile(r"^[0-9a-f]{16}$")
PHONE_PUNCTUATION = re.compile(r"[\s\-.()/]")


@dataclass(frozen=True)
class Found:
    """A person: their id, identifiers (sorted by kind) and chains; empty when none is found."""

    person_id: str = ""
    keys: tuple[str, ...] = ()
    chains: tuple[str, ...] = ()
    key: str = ""  # the identifier the search named


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text()


def _rank(key: str) -> tuple[int, str]:
    return (RANK.get(key.partition(":")[0], 9), key)


def looks_like_phone(text: str) -> bool:
    digits = PHONE_PUNCTUATION.sub("", text).removeprefix("+")
    return digits.isdigit() and len(digits) >= 9


def candidates(text: str, region: str = "KE") -> list[str]:
    """The identifier keys a search text may mean, most likely first (pure: no look-up)."""
    text = text.strip()
    kind, sep, rest = text.partition(":")
    if sep and kind in KINDS:
        rest = rest.strip()
        if not rest:
            return []
        if kind == "phone":
            return [f"phone:{normalize_phone(rest, region) or rest}"]
        if kind == "email":
            return [f"email:{normalize_email(rest) or rest}"]
        return [f"{kind}:{rest}"]
    if not text:
        return []
    found: list[str] = []
    if "@" in text and (email := normalize_email(text)):
        found.append(f"email:{email}")
    if looks_like_phone(text) and (phone := normalize_phone(text, region)):
        found.append(f"phone:{phone}")
    found += [f"user:{text}", f"anon:{text}"]
    return list(dict.fromkeys(found))


def _person(project: str, keys: list[str]) -> Found:
    """The person of the first key (in order) that person_map or the model knows."""
    if not keys:
        return Found()
    client = get_client()
    key, person_id, identifiers = client.query(
        _sql("named"), parameters={"project": project, "candidates": keys}).result_rows[0]
    if person_id:
        own = sorted(set(identifiers) | {key}, key=_rank)
        return Found(person_id, tuple(own), _chains(project, own), key)
    # Never linked: a key the model holds rows of is a person of its own.
    by_key = _chains_by_key(project, keys)
    key = next((k for k in keys if by_key.get(k)), "")
    if not key:
        return Found()
    return Found(person_id_for(key), (key,), tuple(sorted(by_key[key])), key)


def _chains_by_key(project: str, keys: list[str]) -> dict[str, list[str]]:
    rows = get_client().query(_sql("chains"),
                              parameters={"project": project, "keys": keys}).result_rows
    by_key: dict[str, list[str]] = {}
    for key, chain in rows:
        by_key.setdefault(key, []).append(chain)
    return by_key


def _chains(project: str, keys: list[str]) -> tuple[str, ...]:
    return tuple(sorted({c for chains in _chains_by_key(project, keys).values() for c in chains}))


_in_flight: dict[tuple[str, str, str], Future[Found]] = {}
_in_flight_lock = threading.Lock()


def look_up(project: str, text: str, region: str = "KE") -> Found:
    """The person a search text names (see the module docstring); `Found()` for nobody.

    Look-ups of the same search that run at the same time share one (the explorer's card and
    timeline are read together); nothing is kept once it is done, so every later read looks
    the person up again, as the model is now."""
    key = (project, text.strip(), region)
    with _in_flight_lock:
        running = _in_flight.get(key)
        if running is None:
            _in_flight[key] = mine = Future()
    if running is not None:
        return running.result()
    try:
        found = _look_up(project, key[1], region)
        mine.set_result(found)
        return found
    except BaseException as exc:
        mine.set_exception(exc)
        raise
    finally:
        with _in_flight_lock:
            del _in_flight[key]


def _look_up(project: str, text: str, region: str) -> Found:
    client = get_client()
    keys = candidates(text, region)
    if PERSON_ID.match(text):
        by_id = {"project": project, "person_id": text}
        own = [r[0] for r in client.query(_sql("person_id"), parameters=by_id).result_rows]
        own = own or [r[0] for r in client.query(_sql("person_id_key"),
                                                 parameters=by_id).result_rows]
        if own and (found := _person(project, sorted(own, key=_rank))).person_id:
            return found
    if NJIA_SESSION.match(text):
        rows = client.query(_sql("session_owner"),
                            parameters={"project": project, "session": text}).result_rows
        keys = [rows[0][0], *keys] if rows else keys
    found = _person(project, keys)
    if found.person_id or not keys or text.partition(":")[0] in KINDS:
        return found
    # No identifier of that text: the SDK's session id or the CRM's chat id.
    carried = client.query(_sql("carried"),
                           parameters={"project": project, "value": text}).result_rows
    if carried:
        return _person(project, sorted((r[0] for r in carried), key=_rank))
    return Found()
