"""Sign-in, sign-out and the sign-in cookie: who this browser tab acts for.

A sign-in is a record in the metadata store (`metadata.signins`); the browser keeps a
cookie that names it, signed with the cookie key (itsdangerous), and the query layer checks the
record before every read. So signing out — here, or by removing the user or giving them a new
password — ends the sign-in on the server: the cookie, replayed from anywhere, signs no one in.

The cookie is read from the request (`st.context.cookies`) and written by the browser itself:
Streamlit answers over a websocket, so no HTTP response of ours can set it. The write is a tiny
component that runs `document.cookie = …` and then reports back; until it has, every run draws
it again (`sync_cookie`), so no rerun can cut it off — streamlit-authenticator's cookie component
was drawn once and lost to the rerun that followed sign-in or sign-out, leaving no cookie, or the
previous user's.

The cookie key comes from the settings; demo mode generates one once under NJIA_DATA_DIR;
production refuses to run without one (a committed default would let anyone forge the cookie).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import streamlit as st
from itsdangerous import BadData, URLSafeTimedSerializer

from config.settings import Settings, get_settings
from metadata import access, signins, users

COOKIE_NAME = "njia_auth"
COOKIE_DAYS = 7.0
COOKIE_LIFETIME = timedelta(days=COOKIE_DAYS)
# Keeps this signature apart from anything else signed with the same key.
COOKIE_SALT = "njia.workbench.signin"

WRONG_PASSWORD = "Username or password is incorrect."

_SIGNIN = "njia_signin"  # session_state: this tab's SignedIn
_PENDING = "njia_cookie_write"  # session_state: the cookie write the browser has not confirmed


class CookieKeyMissing(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class SignedIn:
    principal: access.Principal  # the user and the sign-in session the query layer checks
    cookie: str  # the cookie value that names it, so sign-out deletes this one and no other


def cookie_key(settings: Settings) -> str:
    """The cookie-signing key: NJIA_COOKIE_KEY, or in demo mode one generated and kept."""
    key = getattr(settings, "cookie_key", None)
    if key:
        return str(key)
    if settings.mode == "demo":
        return settings.demo_secret("cookie_key")
    raise CookieKeyMissing(
        "NJIA_COOKIE_KEY is not set: in production mode the workbench refuses to start without "
        "a cookie key (set it to a long random string, e.g. `openssl rand -hex 32`)"
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(cookie_key(get_settings()), salt=COOKIE_SALT)


# --- the cookie <-> the sign-in record -------------------------------------------------------
def issue(username: str, address: str = "") -> tuple[signins.Signin, str]:
    """A new sign-in record for `username` and the cookie value that names it."""
    token, record = signins.create(username, COOKIE_LIFETIME, address=address)
    return record, _serializer().dumps([record.username, token])


def from_cookie(value: str | None) -> access.Principal | None:
    """The principal a cookie names while its sign-in is live; None for anything else
    (missing, forged, expired, signed out, revoked, or the old streamlit-authenticator JWT)."""
    if not value:
        return None
    try:
        username, token = _serializer().loads(value, max_age=COOKIE_LIFETIME.total_seconds())
    except (BadData, TypeError, ValueError):
        return None
    session_id = signins.session_id_for(str(token))
    if not signins.active(session_id, str(username)):
        return None
    return access.for_user(str(username), session=session_id)


# --- this tab ---------------------------------------------------------------------------------
def _signed_in() -> SignedIn | None:
    found = st.session_state.get(_SIGNIN)
    if isinstance(found, SignedIn):
        return found
    # A new tab or a reload: the cookie the browser sent with this connection.
    cookie = st.context.cookies.get(COOKIE_NAME)
    if not isinstance(cookie, str):  # none sent (AppTest's client is a stand-in, no str)
        return None
    who = from_cookie(cookie)
    if who is None:
        return None
    found = SignedIn(who, cookie)
    st.session_state[_SIGNIN] = found
    return found


def principal() -> access.Principal | None:
    """The signed-in user with their sign-in session, as the query layer wants it; None when
    signed out. Its session is the server-side record, so a sign-out elsewhere, removal or a
    new password makes the query layer refuse it from the next read on."""
    found = _signed_in()
    return found.principal if found else None


def signed_in() -> bool:
    return principal() is not None


def current_user() -> users.User | None:
    """The signed-in user as the store knows them now (role and projects may change); None,
    and this tab signed out, once their sign-in has ended or they are gone."""
    who = principal()
    if who is None:
        return None
    try:
        return access.current_user(who)
    except access.AccessDenied:
        # Ended elsewhere: forget it here. The browser's cookie is left alone: it is dead
        # already, and it may by now be another, live sign-in made in another tab.
        st.session_state.pop(_SIGNIN, None)
        return None


def client_address() -> str:
    """The client's address for the throttle. Streamlit's server (uvicorn) already takes it
    from X-Forwarded-For when the peer is a trusted proxy (FORWARDED_ALLOW_IPS, loopback by
    default); None means loopback (AppTest's stand-in client has no str either)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "127.0.0.1"


def throttled_message(wait: int) -> str:
    return f"Too many failed attempts; try again in {math.ceil(wait)} s."


def sign_in(username: str, password: str) -> str | None:
    """Check the password and sign this tab in; None, or why not (to show as it is).

    While a user name or address must wait, the password is not even checked, so guessing on
    during the delay learns nothing."""
    username = username.strip().lower()
    if not username:
        return WRONG_PASSWORD
    address = client_address()
    wait = signins.wait_seconds(username, address)
    if wait:
        return throttled_message(wait)
    if not users.verify_password(username, password):
        wait = signins.record_failure(username, address)
        return throttled_message(wait) if wait else WRONG_PASSWORD
    signins.record_success(username)
    record, cookie = issue(username, address)
    st.session_state[_SIGNIN] = SignedIn(access.for_user(record.username,
                                                         session=record.session_id), cookie)
    _write_cookie(cookie, max_age=int(COOKIE_LIFETIME.total_seconds()))
    return None


def sign_out() -> None:
    """End this tab's sign-in on the server, then delete its cookie from the browser."""
    found = _signed_in()
    st.session_state.pop(_SIGNIN, None)
    if found is None:
        return
    if found.principal.session:
        signins.revoke(found.principal.session)
    # Only if the browser still holds this sign-in's cookie: another tab may have signed
    # someone else in since, and their cookie is theirs.
    _write_cookie("", max_age=0, only_if=found.cookie)


# --- writing the cookie from the browser -------------------------------------------------------
_COOKIE_JS = """
export default function ({ data, setTriggerValue }) {
  const current = document.cookie.split("; ").find((c) => c.startsWith(data.name + "="));
  if (data.only_if === null || current === data.name + "=" + data.only_if) {
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = data.name + "=" + data.value + "; Path=/; Max-Age=" + data.max_age +
      "; SameSite=Strict" + secure;
  }
  setTriggerValue("done", data.op);
}
"""

_cookie_component = st.components.v2.component("njia_signin_cookie", js=_COOKIE_JS)


def _write_cookie(value: str, max_age: int, only_if: str | None = None) -> None:
    """Ask the browser to write the cookie (max_age 0 deletes it); the latest ask wins."""
    st.session_state[_PENDING] = {"op": secrets.token_hex(8), "name": COOKIE_NAME,
                                  "value": value, "max_age": max_age, "only_if": only_if}


def _confirmed(op: str) -> None:
    pending: dict[str, Any] | None = st.session_state.get(_PENDING)
    if pending is not None and pending["op"] == op:
        del st.session_state[_PENDING]


def sync_cookie() -> None:
    """Draw the pending cookie write, on every run until the browser confirms it. Call it
    first thing in the app, before anything that may rerun or stop."""
    pending = st.session_state.get(_PENDING)
    if pending is None:
        return
    _cookie_component(key=f"njia_cookie_{pending['op']}", data=pending,
                      on_done_change=partial(_confirmed, pending["op"]),
                      width="content", height="content")


# --- the form --------------------------------------------------------------------------------
def login_form() -> None:
    with st.form("login"):
        st.subheader("Sign in")
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    refused = sign_in(username, password)
    if refused:
        st.error(refused)
    else:
        st.rerun()  # show the workbench now that we know who it is
