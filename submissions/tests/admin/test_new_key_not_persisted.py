"""A new API key is shown once, in the response that made it, and stored nowhere: not in a session, not in any table."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse

from submissions.models import ApiKey, Project
from submissions.tests.admin.helpers import key_shown_in
from submissions.tests.admin.test_project_admin import form_data

pytestmark = pytest.mark.django_db


def places_holding(raw_key: str) -> list[str]:
    """Every session (decoded) and every table cell that contains `raw_key`, as text or bytes."""
    found = [f"django_session {session.session_key}" for session in Session.objects.all()
             if raw_key in repr(SessionStore().decode(session.session_data))]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    text = bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
                    if raw_key in text:
                        found.append(table)
    return found


def project_added(admin_client):
    response = admin_client.post(reverse("admin:submissions_project_add"), form_data(name="Acme"))
    return response, Project.objects.get(name="Acme")


def key_rotated(admin_client):
    project = Project.objects.create(name="Acme")
    return admin_client.post(reverse("admin:submissions_project_rotate_key", args=[project.pk])), project


def key_added(admin_client):
    project = Project.objects.create(name="Acme")
    return admin_client.post(reverse("admin:submissions_apikey_add"), {"project": project.pk, "name": "backend"}), \
        project


@pytest.mark.parametrize("make_key", [project_added, key_rotated, key_added])
def test_a_new_key_is_in_its_response_and_nowhere_in_the_database(admin_client, make_key):
    # when an operator makes a key through the admin
    response, project = make_key(admin_client)
    # then that response shows it, and it works
    raw_key = key_shown_in(response)
    assert ApiKey.objects.get(project=project, revoked_at__isnull=True).matches(raw_key)
    # and no session (the message store) nor any other row holds it, before any other page is shown
    assert places_holding(raw_key) == []
    # nor does the next page show it again
    assert raw_key not in admin_client.get(reverse("admin:submissions_project_change", args=[project.pk])) \
        .content.decode()
