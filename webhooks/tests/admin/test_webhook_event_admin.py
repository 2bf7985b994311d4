"""The delivery log in the admin: scoped to the viewer's projects; the resend is an operator's."""

from unittest import mock

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from submissions.tests.admin.helpers import staff_member
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from webhooks.choices import WebhookEventState, WebhookTrigger
from webhooks.models import WebhookEvent
from webhooks.services import webhook_deliver, webhook_event_record
from webhooks.tasks import webhook_deliver_task

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:webhooks_webhookevent_changelist"


def change_url(event: WebhookEvent) -> str:
    return reverse("admin:webhooks_webhookevent_change", args=[event.pk])


def event_of(project, *, cf1: str = "order-1812") -> WebhookEvent:
    submission = SubmissionFactory(project=project, cf1=cf1)
    with mock.patch.object(webhook_deliver_task, "delay"):
        return webhook_event_record(submission=submission, trigger=WebhookTrigger.CREATED)


@pytest.fixture
def sent_event(hooked_project, receiver) -> WebhookEvent:
    receiver.statuses = [502]
    event = event_of(hooked_project)
    webhook_deliver(event_pk=event.pk)
    return WebhookEvent.objects.get(pk=event.pk)


def test_an_operator_reads_the_log_of_their_project_only(client, hooked_project, sent_event):
    # given: an event of another project
    other = event_of(ProjectFactory(webhook_url="https://elsewhere.example/hooks"))
    client.force_login(staff_member("olga", hooked_project, "operator"))

    # when
    page = client.get(reverse(CHANGELIST))

    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert sent_event.submission.submission_id in html and other.submission.submission_id not in html
    assert ">502<" in html  # the last status code
    assert client.get(change_url(other)).status_code == 404
    detail = client.get(change_url(sent_event)).content.decode()
    assert "HTTP 502" in detail and "order-1812" in detail  # the attempt, and the payload
    assert client.get(reverse(CHANGELIST), {"q": str(sent_event.event_id)}).context["cl"].result_count == 1
    assert client.get(reverse(CHANGELIST), {"q": "not-a-uuid"}).context["cl"].result_count == 0


def test_an_auditor_sees_the_log_without_the_payload(client, hooked_project, sent_event):
    client.force_login(staff_member("audrey", hooked_project, "auditor"))

    detail = client.get(change_url(sent_event))

    assert detail.status_code == 200
    assert "HTTP 502" in detail.content.decode() and "order-1812" not in detail.content.decode()


def test_an_operator_resends_an_event(client, hooked_project, receiver, sent_event, django_capture_on_commit_callbacks):
    operator = staff_member("olga", hooked_project, "operator")
    client.force_login(operator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST), {"action": "resend_selected", "_selected_action": [sent_event.pk]}, follow=True
        )

    assert response.status_code == 200
    assert "Resent 1 event(s)" in response.content.decode()
    sent_event.refresh_from_db()
    assert sent_event.state == WebhookEventState.DELIVERED
    assert receiver.accepted == [str(sent_event.event_id)]
    assert AuditEvent.objects.get(action="webhook_resent").actor_user == operator


def test_a_reviewer_is_not_offered_the_resend(client, hooked_project, sent_event):
    client.force_login(staff_member("rita", hooked_project, "reviewer"))

    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    action_form = page.context["action_form"]
    assert action_form is None or "resend_selected" not in dict(action_form.fields["action"].choices)
    assert "Resend selected events" not in page.content.decode()

    client.post(reverse(CHANGELIST), {"action": "resend_selected", "_selected_action": [sent_event.pk]})
    assert WebhookEvent.objects.get(pk=sent_event.pk).state == sent_event.state
    assert not AuditEvent.objects.filter(action="webhook_resent").exists()


def test_an_operator_elsewhere_cannot_resend_this_project_s_event(client, hooked_project, sent_event):
    # An operator of another project is offered the action, but not on events they cannot see.
    client.force_login(staff_member("olga", ProjectFactory(), "operator"))

    client.post(reverse(CHANGELIST), {"action": "resend_selected", "_selected_action": [sent_event.pk]})

    assert not AuditEvent.objects.filter(action="webhook_resent").exists()


def test_the_change_page_resend_button(client, hooked_project, receiver, sent_event, django_capture_on_commit_callbacks):
    resend_url = reverse("admin:webhooks_webhookevent_resend", args=[sent_event.pk])
    client.force_login(staff_member("rita", hooked_project, "reviewer"))
    assert 'id="resend"' not in client.get(change_url(sent_event)).content.decode()
    assert client.post(resend_url).status_code == 403
    client.force_login(staff_member("olga", hooked_project, "operator"))
    assert 'id="resend"' in client.get(change_url(sent_event)).content.decode()
    assert client.get(resend_url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend_url)
    assert response.status_code == 302 and response["Location"] == change_url(sent_event)
    assert WebhookEvent.objects.get(pk=sent_event.pk).state == WebhookEventState.DELIVERED
    assert receiver.accepted == [str(sent_event.event_id)]
    client.force_login(staff_member("otto", ProjectFactory(), "operator"))
    assert client.post(resend_url).status_code == 404
