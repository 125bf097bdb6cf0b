"""Sign-in with streamlit-authenticator, users from the metadata store.

The authenticator gets the users as a credentials dict of bcrypt hashes (never a YAML file, so
it never writes one back). A signed cookie keeps people signed in across reloads and restarts:
its key comes from the settings; demo mode generates one once under NJIA_DATA_DIR; production
mode refuses to run without one (a committed default would let anyone forge the cookie).
"""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth

from config.metadata import users
from config.settings import Settings, get_settings

COOKIE_NAME = "njia_auth"
COOKIE_DAYS = 7.0


class CookieKeyMissing(RuntimeError):
    pass


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


def authenticator() -> stauth.Authenticate:
    """Built on every run from the current users (a removed user cannot sign in again)."""
    return stauth.Authenticate(
        users.credentials(),
        COOKIE_NAME,
        cookie_key(get_settings()),
        COOKIE_DAYS,
        auto_hash=False,  # the store holds bcrypt hashes only
        # The cookie is read from the request (st.context.cookies), so the authenticator's
        # pre-login pause for its cookie component is not needed.
        login_sleep_time=0,
    )


def signed_in() -> bool:
    return bool(st.session_state.get("authentication_status"))


def current_user() -> users.User | None:
    """The signed-in user as the metadata store knows them now (role and projects may change)."""
    if not signed_in():
        return None
    return users.get_user(st.session_state.get("username") or "")


def login_form(authn: stauth.Authenticate) -> None:
    authn.login(
        location="main",
        fields={"Form name": "Sign in", "Username": "Username", "Password": "Password",
                "Login": "Sign in"},
        key="login",
    )
    if st.session_state.get("authentication_status") is False:
        st.error("Username or password is incorrect.")
    elif signed_in():
        st.rerun()  # show the workbench now that we know who it is
