"""Admin (admin role only): projects and their keys, read tokens, per-project settings, users.

Secrets (write keys, webhook secrets, read tokens) are shown once, right after they are made,
and only as prefixes after that: the store keeps hashes (keys, tokens) or ciphertext (secrets).
Every action goes through `metadata.admin`, which checks the role there and then; this
page only decides what to draw.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from crm import client as crm_client
from crm import summary as crm_summary
from metadata import admin, integrations, projects, users
from metadata.access import AccessDenied
from workbench import auth, reads

me = auth.current_user()
if me is None or not me.is_admin:
    st.error("The Admin page is for administrators.")
    st.stop()
principal = reads.principal()

st.title("Admin")


def reveal(title: str, secret: str, note: str = "") -> None:
    st.success(f"{title} — shown only now, copy it: {note}")
    st.code(secret, language=None)


try:
    visible = admin.visible_projects(principal)
except AccessDenied as exc:
    reads.refused(exc)
projects_tab, tokens_tab, settings_tab, crm_tab, users_tab = st.tabs(
    ["Projects and keys", "Read tokens", "Project settings", "CRM", "Users"])

# --- projects ------------------------------------------------------------------------------
with projects_tab:
    rows = []
    for p in projects.list_projects():
        if p.project_id not in visible:
            continue
        keys = projects.write_key_prefixes(p.project_id)
        active = [k["prefix"] + "…" for k in keys if k["revoked_at"] is None]
        rows.append({"project": p.project_id, "name": p.name, "created": p.created_at,
                     "write key": ", ".join(active) or "(none)",
                     "time zone": p.settings.timezone})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="admin_projects")

    with st.form("admin_new_project", clear_on_submit=True):
        st.markdown("**New project**")
        name = st.text_input("Project id", help="a-z, 0-9, '-' or '_'; e.g. kra-tax-app")
        if st.form_submit_button("Create project"):
            try:
                created = admin.create_project(principal, name)
            except (projects.ProjectError, AccessDenied) as exc:
                st.error(str(exc))
            else:
                reveal(f"Project {created['project_id']} created. Write key",
                       created["write_key"], "the SDK sends it as X-Write-Key.")
                reveal("Webhook secret", created["webhook_secret"],
                       "the CRM signs its webhooks with it.")

    if visible:
        st.markdown("**Rotate a key**")
        target = st.selectbox("Project", visible, key="admin_rotate_project")
        sure = st.checkbox("I understand: an old write key stops working within seconds; an old "
                           "webhook secret keeps working for the overlap window (24 h by "
                           "default) so the CRM can switch",
                           key="admin_rotate_sure")
        c1, c2 = st.columns(2)
        if c1.button("Rotate write key", disabled=not sure, key="admin_rotate_key"):
            reveal(f"New write key for {target}", admin.rotate_write_key(principal, target))
        if c2.button("Rotate webhook secret", disabled=not sure, key="admin_rotate_secret"):
            reveal(f"New webhook secret for {target}",
                   admin.rotate_webhook_secret(principal, target))

# --- read tokens ---------------------------------------------------------------------------
with tokens_tab:
    st.caption("Read tokens let KRA's other tools call the query API "
               "(`GET /api/v1/query/<name>`, `Authorization: Bearer …`), one project each.")
    listed = admin.list_tokens(principal)
    if not listed:
        st.info("No read token yet: create one below (it is shown only once).")
    st.dataframe(pd.DataFrame(listed, columns=["project_id", "name", "prefix", "created_at",
                                               "revoked_at"]),
                 hide_index=True, width="stretch", key="admin_tokens")
    if visible:
        with st.form("admin_new_token", clear_on_submit=True):
            project = st.selectbox("Project", visible)
            token_name = st.text_input("Used by", help="e.g. kra-bi-reports")
            if st.form_submit_button("Create token"):
                try:
                    made = admin.create_token(principal, project, token_name)
                except (projects.ProjectError, AccessDenied) as exc:
                    st.error(str(exc))
                else:
                    reveal(f"Read token for {project}", made["token"],
                           "send it as 'Authorization: Bearer <token>'.")
        active = [t for t in listed if t["revoked_at"] is None]
        if active:
            choice = st.selectbox(
                "Revoke", range(len(active)), key="admin_revoke_token",
                format_func=lambda i: f"{active[i]['project_id']} · {active[i]['name']} · "
                                      f"{active[i]['prefix']}…")
            if st.button("Revoke token", key="admin_revoke"):
                token = active[int(choice)]
                admin.revoke_token(principal, token["project_id"], token["prefix"])
                st.success(f"Revoked {token['prefix']}…")
                st.rerun()

# --- per-project settings ------------------------------------------------------------------
with settings_tab:
    if not visible:
        st.info("You administer no project yet: create one in “Projects and keys”.")
    else:
        project_id = st.selectbox("Project", visible, key="admin_settings_project")
        current = projects.require_project(project_id).settings
        zones = sorted(available_timezones())
        with st.form("admin_settings"):
            tz = st.selectbox("Time zone (days, hours and date filters)", zones,
                              index=zones.index(current.timezone))
            conversions = st.text_input("Conversion events (comma-separated)",
                                        ", ".join(current.conversion_events))
            max_age_days = st.number_input(
                "Maximum event age (days): older events are refused at the door",
                min_value=1, value=max(1, current.max_event_age_seconds // 86400))
            timeout_min = st.number_input(
                "WhatsApp conversation timeout (minutes)", min_value=1,
                value=max(1, current.conversation_timeout_seconds // 60))
            reply_hours = st.number_input(
                "Campaign reply window (hours): a recipient who writes within it after a "
                "campaign message reached them replied", min_value=1,
                value=max(1, current.campaign_attribution_seconds // 3600))
            threshold = st.number_input(
                "AI low-confidence threshold (classifications below it are low confidence)",
                min_value=0.0, max_value=1.0, step=0.05,
                value=float(current.low_confidence_threshold))
            if st.form_submit_button("Save settings"):
                events = [e.strip() for e in conversions.split(",") if e.strip()]
                try:
                    admin.update_settings(
                        principal, project_id, timezone=tz, conversion_events=events,
                        max_event_age_seconds=int(max_age_days) * 86400,
                        conversation_timeout_seconds=int(timeout_min) * 60,
                        campaign_attribution_seconds=int(reply_hours) * 3600,
                        low_confidence_threshold=float(threshold))
                except (projects.ProjectError, ValueError, AccessDenied) as exc:
                    st.error(str(exc))
                else:
                    reads.clear()  # numbers depend on these settings
                    st.success(f"Saved the settings of {project_id}.")

# --- CRM integration -------------------------------------------------------------------------
CRM_FLASH = "admin_crm_flash"


def crm_admin(project_id: str) -> None:
    """The project's CRM integration: set, replace or remove it, test it. The API key is
    write-only: its box is always empty, and the page says only whether and when one was set."""
    flash = st.session_state.pop(CRM_FLASH, None)
    if flash:
        st.success(flash)
    try:
        found = integrations.describe_crm(principal, project_id)
    except AccessDenied as exc:
        reads.refused(exc)
    if found is None:
        st.info(f"{project_id} has no CRM integration: the Campaigns page names campaigns from "
                "their events, and the WhatsApp page counts contacts from `contact.created`.")
    else:
        st.markdown(f"**Connected to** `{found.base_url}` · API key set "
                    f"{found.key_set_at:%Y-%m-%d %H:%M} UTC · last changed by "
                    f"{found.updated_by}")
    with st.form("admin_crm", clear_on_submit=True):
        base_url = st.text_input("Base URL", found.base_url if found else "",
                                 placeholder="https://crm.chatnation.co.ke")
        key = st.text_input(
            "API key" + (" (leave empty to keep the stored one)" if found else ""),
            type="password", help="Sent as the API-KEY header. Stored encrypted; never shown "
                                  "again, here or anywhere.")
        campaigns_path = st.text_input(
            "Campaigns list path", found.campaigns_path if found
            else crm_client.DEFAULT_CAMPAIGNS_PATH,
            help="The seed gives no campaign paths; this is Njia's default.")
        report_path = st.text_input(
            "Campaign report path", found.campaign_report_path if found
            else crm_client.DEFAULT_CAMPAIGN_REPORT_PATH,
            help="{campaign_id} is replaced by the campaign's id.")
        if st.form_submit_button("Save CRM settings"):
            try:
                integrations.save_crm(principal, project_id, base_url=base_url, api_key=key,
                                      campaigns_path=campaigns_path,
                                      campaign_report_path=report_path)
            except (projects.ProjectError, AccessDenied) as exc:
                st.error(str(exc))
            else:
                st.session_state[CRM_FLASH] = (
                    f"Saved the CRM settings of {project_id}"
                    + (" with the new API key." if key.strip() else " (API key kept)."))
                st.rerun()
    if found is None:
        return
    test, remove = st.columns(2)
    if test.button("Test connection", key="admin_crm_test"):
        try:
            connection = integrations.crm_connection(project_id)
        except projects.ProjectError as exc:
            st.error(str(exc))
        else:
            if connection is not None:
                checked = crm_client.check_connection(
                    crm_summary.config_for(connection, **crm_summary.PAGE_LIMITS))
                if checked.ok:
                    st.success(f"The CRM answered: {checked.contacts:,} contacts, "
                               f"{checked.campaigns:,} campaigns.")
                else:
                    st.error("The CRM did not answer as expected: "
                             + " · ".join(checked.problems))
    sure = remove.checkbox("Remove it: the pages go back to the events alone",
                           key="admin_crm_remove_sure")
    if remove.button("Remove CRM integration", disabled=not sure, key="admin_crm_remove"):
        integrations.remove_crm(principal, project_id)
        crm_summary.clear_cache()
        st.session_state[CRM_FLASH] = f"Removed the CRM integration of {project_id}."
        st.rerun()


with crm_tab:
    if not visible:
        st.info("You administer no project yet: create one in “Projects and keys”.")
    else:
        crm_admin(st.selectbox("Project", visible, key="admin_crm_project"))


# --- users ---------------------------------------------------------------------------------
def users_admin() -> None:
    everyone = admin.list_users(principal)
    st.dataframe(pd.DataFrame([{"username": u.username, "name": u.name, "email": u.email,
                                "role": u.role, "projects": ", ".join(u.projects)}
                               for u in everyone]),
                 hide_index=True, width="stretch", key="admin_users")
    project_choices = [users.ALL_PROJECTS, *[p.project_id for p in projects.list_projects()]]
    with st.form("admin_new_user", clear_on_submit=True):
        st.markdown("**New user**")
        c1, c2 = st.columns(2)
        username = c1.text_input("Username")
        password = c2.text_input("Initial password", type="password",
                                 help="at least 8 characters; they can be changed with "
                                      "`njia user set-password`")
        full_name = c1.text_input("Name")
        email = c2.text_input("Email")
        role = c1.selectbox("Role", list(users.ROLES), index=1)
        chosen = c2.multiselect("Projects ('*' = all)", project_choices)
        if st.form_submit_button("Add user"):
            try:
                added = admin.add_user(principal, username, password, role=role,
                                       projects=chosen, name=full_name, email=email)
            except (users.UserError, AccessDenied) as exc:
                st.error(str(exc))
            else:
                st.success(f"Added {added.username} ({added.role}).")

    st.markdown("**Change a user**")
    names = [u.username for u in everyone]
    who = st.selectbox("User", names, key="admin_user_pick")
    picked = users.get_user(who) if who else None
    if picked is not None:
        with st.form("admin_edit_user"):
            role = st.selectbox("Role", list(users.ROLES), index=users.ROLES.index(picked.role))
            chosen = st.multiselect("Projects", project_choices,
                                    default=[p for p in picked.projects if p in project_choices])
            new_password = st.text_input("New password (leave empty to keep)", type="password")
            remove = st.checkbox("Remove this user", disabled=picked.username == me.username)
            if st.form_submit_button("Apply"):
                try:
                    if remove:
                        admin.remove_user(principal, picked.username)
                        st.success(f"Removed {picked.username}.")
                    else:
                        admin.update_user(principal, picked.username, role=role,
                                          projects=chosen, password=new_password)
                        st.success(f"Updated {picked.username}.")
                except (users.UserError, AccessDenied) as exc:
                    st.error(str(exc))


with users_tab:
    if users.ALL_PROJECTS not in me.projects:
        # Users span projects: an admin limited to some could otherwise create an admin of all.
        st.info("Only an administrator of all projects ('*') manages users.")
    else:
        users_admin()
