"""The audit admin: read-only, with the chain state of each event, and the chain heads to publish."""

import pytest
from django.urls import reverse

from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_seal
from reviews.models import ProjectMembership
from submissions.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _password_login_is_enough(settings):
    # These tests are about the audit pages, not the two-factor login in front of them.
    settings.KYC_REQUIRE_2FA = False


def test_the_event_list_shows_the_sealed_state_seq_and_hash_prefix(admin_client, record, project):
    # given
    sealed = record(project=project, action="sealed_one")
    audit_seal()
    record(project=project, action="unsealed_one")
    sealed.refresh_from_db()

    # when
    listing = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    only_unsealed = admin_client.get(reverse("admin:audit_auditevent_changelist"), {"sealed": "no"})
    detail = admin_client.get(reverse("admin:audit_auditevent_change", args=[sealed.pk]))

    # then
    assert listing.status_code == 200 and detail.status_code == 200
    html = listing.content.decode()
    assert f"{sealed.hash[:12]}…" in html and "sealed_one" in html and "unsealed_one" in html
    assert [e.action for e in only_unsealed.context["cl"].result_list] == ["unsealed_one"]
    assert sealed.hash in detail.content.decode() and sealed.content_digest in detail.content.decode()


def test_events_and_heads_stay_read_only(admin_client, record, project):
    # given
    event = record(project=project)
    audit_seal()
    head = AuditChainHead.objects.get(project=project)

    # when
    change = admin_client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "edited"})
    delete = admin_client.post(reverse("admin:audit_auditchainhead_delete", args=[head.pk]), {"post": "yes"})

    # then
    assert change.status_code == 403 and delete.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "noted" and AuditChainHead.objects.filter(pk=head.pk).exists()


def test_the_heads_page_shows_each_chains_anchor(admin_client, record, project):
    # given
    record(project=project)
    record(action="global")
    audit_seal()
    head = AuditChainHead.objects.get(project=project)

    # when
    page = admin_client.get(reverse("admin:audit_auditchainhead_changelist"))

    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert f"{project.project_id}:1:{head.last_hash}" in html and "global:1:" in html


def test_a_project_member_sees_only_their_projects_events_and_head(client, record, project):
    # given
    from django.contrib.auth import get_user_model

    other = ProjectFactory()
    user = get_user_model().objects.create_user(username="aud", password="pw-for-tests-only", is_staff=True)
    ProjectMembership.objects.create(user=user, project=project, role="auditor")
    client.force_login(user)
    record(project=project, action="mine")
    foreign = record(project=other, action="theirs")
    record(action="global_one")
    audit_seal()
    foreign_head = AuditChainHead.objects.get(project=other)

    # when
    events = client.get(reverse("admin:audit_auditevent_changelist")).context["cl"].result_list
    heads = client.get(reverse("admin:audit_auditchainhead_changelist")).context["cl"].result_list

    # then
    assert [event.action for event in events] == ["mine"]
    assert [head.project for head in heads] == [project]
    assert client.get(reverse("admin:audit_auditevent_change", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("admin:audit_auditchainhead_change", args=[foreign_head.pk])).status_code == 404
