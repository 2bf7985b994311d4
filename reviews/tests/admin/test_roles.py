"""What each role may do in the admin: operators configure their projects, others do not."""

import pytest
from django.urls import reverse

from reviews.models import ProjectMembership
from submissions.models import ApiKey
from submissions.services import api_key_create
from submissions.tests.admin.helpers import staff_member
from submissions.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def project_url(project, page="change"):
    return reverse(f"admin:submissions_project_{page}", args=[project.pk])


def test_an_operator_configures_their_project_and_grants_roles(client, project):
    operator = staff_member("olga", project, "operator")
    client.force_login(operator)
    html = client.get(project_url(project)).content.decode()
    assert 'name="age_limit"' in html and "memberships-TOTAL_FORMS" in html
    assert client.get(reverse("admin:submissions_apikey_changelist")).status_code == 200


def test_a_reviewer_reads_the_project_but_changes_nothing(client, project):
    client.force_login(staff_member("rita", project, "reviewer"))
    html = client.get(project_url(project)).content.decode()
    assert 'name="age_limit"' not in html and "memberships-TOTAL_FORMS" not in html
    assert client.post(project_url(project), {"name": "Renamed"}).status_code == 403
    assert client.get(reverse("admin:submissions_project_add")).status_code == 403
    keys = client.get(reverse("admin:submissions_apikey_changelist"))
    api_key, _ = api_key_create(project=project)
    assert api_key.prefix not in keys.content.decode()
    assert client.get(reverse("admin:submissions_apikey_change", args=[api_key.pk])).status_code == 404


def test_an_operator_of_another_project_sees_none_of_its_keys(client, project):
    other = ProjectFactory()
    client.force_login(staff_member("olga", other, "operator"))
    api_key, _ = api_key_create(project=project)
    assert client.get(reverse("admin:submissions_apikey_change", args=[api_key.pk])).status_code == 404
    assert client.get(project_url(project)).status_code == 404
    response = client.post(reverse("admin:submissions_apikey_add"), {"project": project.pk, "name": "stolen"})
    assert response.status_code == 200  # the form refuses a project that is not theirs
    assert not ApiKey.objects.filter(name="stolen").exists()


def test_the_admin_index_lists_only_what_a_role_may_see(client, project):
    client.force_login(staff_member("audrey", project, "auditor"))
    html = client.get(reverse("admin:index")).content.decode()
    assert "Submissions" in html and "Review queue" in html
    ProjectMembership.objects.all().delete()
    client.force_login(staff_member("idle", ProjectFactory(), "auditor"))
    assert client.get(reverse("admin:index")).status_code == 200
