import json

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from submissions.admin import OPTION_FIELDSETS
from submissions.choices import ProjectStatus
from submissions.models import ApiKey, Project
from submissions.tests.admin.helpers import key_shown_in, messages_of, staff_member

pytestmark = pytest.mark.django_db



def form_data(project: Project | None = None, **overrides) -> dict:
    """What the project form posts: every field, from `project` or the model defaults."""
    project = project or Project()
    data = {"name": project.name or "Acme", "status": project.status}
    for key in Project.OPTION_KEYS:
        value = getattr(project, key)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | dict):
            # Fields with callable defaults post their initial value too, as the browser does.
            data[key] = data[f"initial-{key}"] = json.dumps(value)
        else:
            data[key] = "" if value is None else value
    for key, value in overrides.items():
        if value is False:
            data.pop(key, None)
        else:
            data[key] = value
    # The API key inline's management form (read-only rows, nothing to save).
    data.update({"api_keys-TOTAL_FORMS": "0", "api_keys-INITIAL_FORMS": "0"})
    # The members inline (operators grant roles there); none added here.
    data.update({"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    return data


def test_every_option_is_in_exactly_one_fieldset():
    grouped = [key for _, keys in OPTION_FIELDSETS for key in keys]
    assert sorted(grouped) == sorted(Project.OPTION_KEYS)


def test_changelist_and_change_page_render(admin_client, project):
    assert admin_client.get(reverse("admin:submissions_project_changelist")).status_code == 200
    response = admin_client.get(reverse("admin:submissions_project_change", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for title in ("Document checks", "Face", "Rules", "Periods and limits", "Address and bank", "Automation"):
        assert title in html
    assert Project._meta.get_field("retry_limit").help_text in html
    assert "Rotate API key" in html


def test_add_creates_the_project_and_shows_a_working_key_once(admin_client):
    # when
    response = admin_client.post(reverse("admin:submissions_project_add"), form_data(name="Acme", age_limit=18))
    # then
    project = Project.objects.get(name="Acme")
    assert project.age_limit == 18
    assert "shown only this once" in response.content.decode()
    raw_key = key_shown_in(response)
    api_key = ApiKey.objects.get(project=project)
    assert api_key.matches(raw_key) and raw_key.startswith(f"kyc_{api_key.prefix}_")
    assert AuditEvent.objects.filter(project=project, action="project_created").exists()
    # the key appears nowhere afterwards
    again = admin_client.get(reverse("admin:submissions_project_change", args=[project.pk]))
    assert raw_key not in again.content.decode()
    assert api_key.key_hash not in again.content.decode()


def test_changing_an_option_goes_through_the_service_and_audits(admin_client, project):
    # when
    response = admin_client.post(
        reverse("admin:submissions_project_change", args=[project.pk]),
        form_data(project, retry_limit=5, blacklist_countries='["PRK"]'),
    )
    # then
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.retry_limit == 5 and project.blacklist_countries == ["PRK"]
    event = AuditEvent.objects.get(project=project, action="project_options_changed")
    assert event.before == {"retry_limit": 3, "blacklist_countries": []}
    assert event.after == {"retry_limit": 5, "blacklist_countries": ["PRK"]}
    assert event.actor_label == "admin"
    assert not AuditEvent.objects.filter(project=project, action="project_updated").exists()


def test_an_invalid_option_is_refused_and_changes_nothing(admin_client, project):
    response = admin_client.post(
        reverse("admin:submissions_project_change", args=[project.pk]),
        form_data(project, blacklist_countries='["XXX"]'),
    )
    assert response.status_code == 200 and "alpha-3" in response.content.decode()
    project.refresh_from_db()
    assert project.blacklist_countries == []
    assert not AuditEvent.objects.filter(project=project).exists()


def test_renaming_saves_directly_with_an_audit_row(admin_client, project):
    old_name = project.name
    admin_client.post(
        reverse("admin:submissions_project_change", args=[project.pk]), form_data(project, name="Renamed")
    )
    project.refresh_from_db()
    assert project.name == "Renamed"
    event = AuditEvent.objects.get(project=project, action="project_updated")
    assert event.before == {"name": old_name} and event.after == {"name": "Renamed"}
    assert not AuditEvent.objects.filter(project=project, action="project_options_changed").exists()


def test_close_action(admin_client, project):
    response = admin_client.post(
        reverse("admin:submissions_project_changelist"),
        {"action": "close_projects", "_selected_action": [project.pk]},
        follow=True,
    )
    assert "Closed 1 project(s)." in messages_of(response)
    project.refresh_from_db()
    assert project.status == ProjectStatus.CLOSED
    assert AuditEvent.objects.filter(project=project, action="project_closed").exists()


def test_rotate_key_confirms_then_revokes_and_shows_the_new_key_once(admin_client, make_project):
    project, old_raw = make_project()
    url = reverse("admin:submissions_project_rotate_key", args=[project.pk])
    # the confirmation page changes nothing
    page = admin_client.get(url)
    assert page.status_code == 200 and "will be revoked" in page.content.decode()
    assert ApiKey.objects.get(project=project).revoked_at is None
    # confirming rotates
    response = admin_client.post(url)
    new_raw = key_shown_in(response)
    active = ApiKey.objects.get(project=project, revoked_at__isnull=True)
    assert active.matches(new_raw) and not active.matches(old_raw)
    assert ApiKey.objects.filter(project=project, revoked_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(project=project, action="api_key_rotated").exists()


def test_rotate_key_needs_change_permission(client, project):
    client.force_login(staff_member("viewer", project, "reviewer"))
    assert client.post(reverse("admin:submissions_project_rotate_key", args=[project.pk])).status_code == 403


def test_projects_cannot_be_deleted(admin_client, project):
    assert admin_client.get(reverse("admin:submissions_project_delete", args=[project.pk])).status_code == 403


def test_saving_without_changes_writes_no_audit_row(admin_client, project):
    response = admin_client.post(reverse("admin:submissions_project_change", args=[project.pk]), form_data(project))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(project=project).exists()
