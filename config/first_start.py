"""First-start hooks beyond the demo project (demo data, admin user) register here.

`njia run` calls `extra_first_start` in the foreground terminal after migrations, so whatever is
printed here reaches the person who typed `make run` (and only them: not a program's log).
"""

from __future__ import annotations

import secrets

from config.settings import Settings

DEMO_ADMIN = "admin"


def create_demo_admin(settings: Settings) -> str | None:
    """Demo mode, no users yet: create an admin with a random password and print it once.

    Returns the password (for tests), or None when nothing was created.
    """
    from config.metadata import users
    from config.run import banner

    if users.count_users() > 0:
        return None
    if settings.mode != "demo":
        banner(
            "No workbench user yet",
            "Create one: njia user add <username> --role admin --projects '*'",
        )
        return None
    password = secrets.token_urlsafe(12)
    users.add_user(DEMO_ADMIN, password, role="admin", projects=[users.ALL_PROJECTS],
                   name="Administrator")
    banner(
        "Workbench admin created (shown only now)",
        f"username: {DEMO_ADMIN}",
        f"password: {password}",
        f"Change it: njia user set-password {DEMO_ADMIN}",
        f"Workbench: http://localhost:{settings.workbench_port}",
    )
    return password


def extra_first_start(settings: Settings) -> None:
    # --- workbench admin (issue 5) ---------------------------------------------------------
    create_demo_admin(settings)



def after_start(settings: Settings) -> None:
    """Once every program is up: the demo data, into an empty demo project (demo mode only)."""
    from collector.demo.first_start import load_on_first_start

    load_on_first_start(settings)
