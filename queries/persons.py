"""A person's identifiers and activity, for `njia person show` (and later the journey page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contract.identifiers import normalize_email, normalize_phone, person_id_for
from warehouse.client import get_client

SQL = Path(__file__).parent / "identity"


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text()


def parse_identifier(value: str, project: str, region: str = "KE") -> str:
    """'user:…'/'anon:…'/'phone:…'/'email:…' as given; else a phone, an email, a PIN or an
    anonymous id, whichever the value is (or was seen as)."""
    value = value.strip()
    kind, sep, rest = value.partition(":")
    if sep and kind in ("user", "anon", "phone", "email"):
        return value
    if "@" in value and normalize_email(value):
        return f"email:{normalize_email(value)}"
    stripped = value.replace(" ", "").replace("-", "")
    if stripped.lstrip("+").isdigit() and len(stripped.lstrip("+")) >= 9:
        phone = normalize_phone(value, region)
        if phone:
            return f"phone:{phone}"
    seen = get_client().query(_sql("identifier_seen"),
                              parameters={"project": project, "value": value}).result_rows
    as_user, as_anon = seen[0] if seen else (0, 0)
    return f"anon:{value}" if as_anon and not as_user else f"user:{value}"


def person_of(project: str, identifier: str) -> str:
    """The person id an identifier belongs to (its own when it was never linked)."""
    rows = get_client().query(_sql("person_of"), parameters={"project": project,
                                                             "identifier": identifier}).result_rows
    return (rows[0][0] if rows and rows[0][0] else "") or person_id_for(identifier)


def person_ids_named_by(project: str, text: str, region: str = "KE") -> list[str]:
    """The person a search text names: a phone in any format, an email, a PIN, an anonymous
    id. Empty for text that cannot be an identifier."""
    text = text.strip()
    if not text or ":" in text and not text.partition(":")[2]:
        return []
    return [person_of(project, parse_identifier(text, project, region))]


def show_person(project: str, identifier: str) -> dict[str, Any]:
    client = get_client()
    rows = client.query(_sql("person_of"), parameters={"project": project,
                                                       "identifier": identifier}).result_rows
    mapped = rows[0][0] if rows and rows[0][0] else ""
    person_id = mapped or person_id_for(identifier)
    identifiers = [identifier]
    if mapped:
        identifiers = [r[0] for r in client.query(
            _sql("person_identifiers"),
            parameters={"project": project, "person_id": person_id}).result_rows]
    channels = client.query(_sql("events_by_channel"),
                            parameters={"project": project, "identifiers": identifiers})
    by_channel = {r[0]: {"events": r[1], "first_seen": r[2], "last_seen": r[3]}
                  for r in channels.result_rows}
    kinds: dict[str, list[str]] = {}
    for ident in identifiers:
        kind, _, val = ident.partition(":")
        kinds.setdefault(kind, []).append(val)
    return {
        "project": project,
        "person_id": person_id,
        "looked_up": identifier,
        "identifiers": kinds,
        "events_by_channel": by_channel,
        "events": sum(c["events"] for c in by_channel.values()),
    }
