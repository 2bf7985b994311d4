
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from submissions.models import ApiKey
from submissions.tests.admin.helpers import key_shown_in, messages_of

pytestmark = pytest.mark.django_db



def test_changelist_and_change_page_never_show_the_hash(admin_client, make_project):
    project, _ = make_project()
    api_key = ApiKey.objects.get(project=project)
    listing = admin_client.get(reverse("admin:submissions_apikey_changelist"))
    detail = admin_client.get(reverse("admin:submissions_apikey_change", args=[api_key.pk]))
    assert listing.status_code == 200 and detail.status_code == 200
    for response in (listing, detail):
        html = response.content.decode()
        assert api_key.prefix in html
        assert api_key.key_hash not in html and "key_hash" not in html


def test_add_creates_a_key_through_the_service_and_shows_it_once(admin_client, project):
    response = admin_client.post(reverse("admin:submissions_apikey_add"), {"project": project.pk, "name": "backend"})
    api_key = ApiKey.objects.get(project=project, name="backend")
    assert "shown only this once" in response.content.decode()
    assert api_key.matches(key_shown_in(response))
    assert AuditEvent.objects.filter(project=project, action="api_key_created").exists()


def test_revoke_action(admin_client, make_project):
    project, _ = make_project()
    api_key = ApiKey.objects.get(project=project)
    response = admin_client.post(
        reverse("admin:submissions_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
        follow=True,
    )
    assert "Revoked 1 API key(s)." in messages_of(response)
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    event = AuditEvent.objects.get(project=project, action="api_key_revoked")
    assert event.after["prefix"] == api_key.prefix


def test_keys_cannot_be_edited_or_deleted(admin_client, make_project):
    project, _ = make_project()
    api_key = ApiKey.objects.get(project=project)
    response = admin_client.get(reverse("admin:submissions_apikey_change", args=[api_key.pk]))
    assert 'name="revoked_at"' not in response.content.decode()
    assert admin_client.get(reverse("admin:submissions_apikey_delete", args=[api_key.pk])).status_code == 403
