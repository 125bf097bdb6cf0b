"""A project's CRM integration: stored with the API key encrypted and never given back, checked
when saved, administrators only; what the pages read through it (crm.summary: the contact total
and campaigns, cached, None when not configured or unreachable); the Admin page's CRM section
(set, replace, test, remove) never shows the key."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from crm import summary
from crm.client import DEFAULT_CAMPAIGN_REPORT_PATH, DEFAULT_CAMPAIGNS_PATH
from metadata import integrations, users
from metadata.access import OPERATOR, AccessDenied, for_user
from metadata.db import engine
from metadata.projects import ProjectError
from stack.embedded import free_port
from tests.fake_crm import FakeCrm
from tests.test_workbench_auth import PASSWORD, signed_in_app

KEY = "crm-secret-key-7f3a9c"
PATHS = {"campaigns_path": DEFAULT_CAMPAIGNS_PATH,
         "campaign_report_path": DEFAULT_CAMPAIGN_REPORT_PATH}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCrm]:
    with FakeCrm(api_key=KEY) as server:
        yield server


@pytest.fixture
def project(stack) -> Iterator[str]:
    project_id = stack.project()["project_id"]
    summary.clear_cache()
    yield project_id
    integrations.remove_crm(OPERATOR, project_id)
    summary.clear_cache()


def stored_row(project_id: str) -> Any:
    with engine().connect() as conn:
        return conn.execute(sa.select(integrations.crm_integrations).where(
            integrations.crm_integrations.c.project_id == project_id)).first()


# --- storage ---------------------------------------------------------------------------------
def test_the_key_is_stored_encrypted_and_never_described(project, fake):
    saved = integrations.save_crm(OPERATOR, project, base_url=fake.base_url + "/", api_key=KEY,
                                  **PATHS)
    assert saved.base_url == fake.base_url  # the trailing slash trimmed
    assert KEY not in repr(saved) and not hasattr(saved, "api_key")
    row = stored_row(project)
    assert KEY not in row.api_key_encrypted
    assert integrations.crm_connection(project).api_key == KEY
    assert KEY not in repr(integrations.crm_connection(project))
    described = integrations.describe_crm(OPERATOR, project)
    assert described == saved and KEY not in repr(described)


def test_replacing_keeps_the_key_unless_a_new_one_is_given(project, fake):
    first = integrations.save_crm(OPERATOR, project, base_url=fake.base_url, api_key=KEY,
                                  **PATHS)
    moved = integrations.save_crm(OPERATOR, project, base_url=fake.base_url, api_key="",
                                  campaigns_path="/api/campaigns",
                                  campaign_report_path="/api/campaigns/{campaign_id}")
    assert moved.campaigns_path == "/api/campaigns" and moved.key_set_at == first.key_set_at
    assert integrations.crm_connection(project).api_key == KEY
    integrations.save_crm(OPERATOR, project, base_url=fake.base_url, api_key="new-key", **PATHS)
    assert integrations.crm_connection(project).api_key == "new-key"
    assert integrations.remove_crm(OPERATOR, project)
    assert integrations.crm_connection(project) is None
    assert not integrations.remove_crm(OPERATOR, project)


@pytest.mark.parametrize(("changes", "words"), [
    ({"base_url": "crm.example.com"}, "base URL must be http(s)"),
    ({"base_url": "ftp://crm.example.com"}, "base URL must be http(s)"),
    ({"base_url": "https://crm.example.com/?x=1"}, "no query string"),
    ({"campaigns_path": "crm/campaign"}, "path starting with '/'"),
    ({"campaigns_path": "/crm/{x}"}, "no {…} placeholder"),
    ({"campaign_report_path": "/crm/campaign/report"}, "{campaign_id} exactly once"),
    ({"campaign_report_path": "/crm/{campaign_id}/{other}"}, "{campaign_id} exactly once"),
    ({"campaign_report_path": "/crm/{campaign_id"}, "unbalanced braces"),
    ({"api_key": ""}, "API key is needed the first time"),
])
def test_wrong_settings_are_refused_with_the_reason(project, changes, words):
    values = {"base_url": "https://crm.example.com", "api_key": KEY, **PATHS, **changes}
    with pytest.raises(ProjectError, match=re.escape(words)):
        integrations.save_crm(OPERATOR, project, **values)
    assert integrations.crm_connection(project) is None


def test_only_an_administrator_of_the_project(stack, project, fake):
    other = stack.project()["project_id"]
    users.add_user("crm-analyst", PASSWORD, role="analyst", projects=[project])
    users.add_user("crm-admin-other", PASSWORD, role="admin", projects=[other])
    for who in ("crm-analyst", "crm-admin-other"):
        with pytest.raises(AccessDenied):
            integrations.save_crm(for_user(who), project, base_url=fake.base_url, api_key=KEY,
                                  **PATHS)
        with pytest.raises(AccessDenied):
            integrations.describe_crm(for_user(who), project)
        with pytest.raises(AccessDenied):
            integrations.remove_crm(for_user(who), project)


def test_a_key_that_no_longer_decrypts(project, fake, caplog):
    integrations.save_crm(OPERATOR, project, base_url=fake.base_url, api_key=KEY, **PATHS)
    with engine().begin() as conn:
        conn.execute(integrations.crm_integrations.update().where(
            integrations.crm_integrations.c.project_id == project).values(
            api_key_encrypted="gAAAAA-not-a-fernet-token"))
    with pytest.raises(integrations.CrmKeyUnreadable, match="save it again"):
        integrations.crm_connection(project)
    with caplog.at_level(logging.WARNING, logger="njia.crm"):
        assert summary.total_contacts(project) is None
    assert "cannot be decrypted" in caplog.text


# --- what the pages read ---------------------------------------------------------------------
def test_total_contacts_and_campaigns_when_configured_cached(project, fake):
    assert summary.total_contacts(project) is None  # not configured: nothing asked
    assert summary.campaign_lookup(project).configured is False
    integrations.save_crm(OPERATOR, project, base_url=fake.base_url, api_key=KEY, **PATHS)
    fake.reset()
    assert summary.total_contacts(project) == 250
    found = summary.campaigns(project)
    assert {k: (v.name, v.status) for k, v in found.items()}["cmp-draft"] == (
        "Draft: iTax maintenance", "draft")
    assert summary.active_campaigns(project) == 1
    assert summary.campaign_report(project, "cmp-nil-deadline-20261120").delivery_rate == "98%"
    asked = len(fake.requests)
    for _ in range(5):  # page reruns
        summary.total_contacts(project)
        summary.campaigns(project)
    assert len(fake.requests) == asked
    # Saving the settings again starts afresh (a new key may see another account).
    integrations.save_crm(OPERATOR, project, base_url=fake.base_url, api_key=KEY, **PATHS)
    assert summary.total_contacts(project) == 250 and len(fake.requests) == asked + 1


def test_unreachable_or_refused_is_none_and_logged(project, fake, caplog):
    dead = f"http://127.0.0.1:{free_port()}"
    integrations.save_crm(OPERATOR, project, base_url=dead, api_key=KEY, **PATHS)
    with caplog.at_level(logging.WARNING, logger="njia.crm"):
        assert summary.total_contacts(project) is None
    assert "cannot reach the CRM" in caplog.text and KEY not in caplog.text
    found = summary.campaign_lookup(project)
    assert found.configured and found.value is None and "cannot reach" in found.error
    integrations.save_crm(OPERATOR, project, base_url=fake.base_url, api_key="wrong", **PATHS)
    assert summary.total_contacts(project) is None
    assert "API key was refused" in summary.campaign_lookup(project).error


# --- the Admin page --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def admin(stack) -> str:
    users.add_user("crm-admin", PASSWORD, role="admin", projects=[users.ALL_PROJECTS])
    return "crm-admin"


def everything_shown(at) -> str:
    """Every element's protobuf as text: labels, values, bodies — what the browser gets."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def crm_form(at, label: str):
    return next(t for t in at.text_input if t.label.startswith(label))


def test_the_admin_sets_tests_replaces_and_removes_it(project, fake, admin):
    at = signed_in_app(admin, {"project": project})
    at.switch_page("app_pages/admin.py").run()
    at.selectbox(key="admin_crm_project").set_value(project).run()
    assert any(f"{project} has no CRM integration" in i.value for i in at.info)
    assert crm_form(at, "Campaigns list path").value == DEFAULT_CAMPAIGNS_PATH
    assert crm_form(at, "Campaign report path").value == DEFAULT_CAMPAIGN_REPORT_PATH
    crm_form(at, "Base URL").input(fake.base_url)
    crm_form(at, "API key").input(KEY)
    next(b for b in at.button if b.label == "Save CRM settings").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Saved the CRM settings" in s.value and "new API key" in s.value
               for s in at.success)
    assert integrations.crm_connection(project).api_key == KEY
    assert KEY not in everything_shown(at)
    assert crm_form(at, "API key").value == ""
    assert any(f"Connected to** `{fake.base_url}`" in m.value for m in at.markdown)
    # Test connection: the contact total and the campaigns.
    at.button(key="admin_crm_test").click().run()
    assert any("250 contacts, 4 campaigns" in s.value for s in at.success)
    assert KEY not in everything_shown(at)
    # Replace the paths, keep the key (empty box).
    crm_form(at, "Campaigns list path").set_value("/crm/campaigns-v2")
    next(b for b in at.button if b.label == "Save CRM settings").click().run()
    assert any("API key kept" in s.value for s in at.success)
    assert integrations.crm_connection(project).api_key == KEY
    at.button(key="admin_crm_test").click().run()
    assert any("GET /crm/campaigns-v2: HTTP 404" in e.value for e in at.error)
    # A wrong value is refused with the reason, nothing changes.
    crm_form(at, "Base URL").set_value("not a url")
    next(b for b in at.button if b.label == "Save CRM settings").click().run()
    assert any("base URL must be http(s)" in e.value for e in at.error)
    assert integrations.describe_crm(OPERATOR, project).base_url == fake.base_url
    # Remove (after the confirmation).
    assert at.button(key="admin_crm_remove").disabled
    at.checkbox(key="admin_crm_remove_sure").check().run()
    at.button(key="admin_crm_remove").click().run()
    assert any("Removed the CRM integration" in s.value for s in at.success)
    assert integrations.crm_connection(project) is None
    assert KEY not in everything_shown(at)
