"""An operator's resend: the same event, from a fresh schedule, audited."""

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from submissions.choices import SubmissionStatus
from submissions.tests.factories import SubmissionFactory
from webhooks.choices import WebhookEventState, WebhookTrigger
from webhooks.models import WebhookEvent
from webhooks.services import webhook_event_record, webhook_resend

pytestmark = pytest.mark.django_db


def delivered_event(project, django_capture_on_commit_callbacks) -> WebhookEvent:
    submission = SubmissionFactory(project=project, target_status=SubmissionStatus.REJECTED)
    with django_capture_on_commit_callbacks(execute=True):
        event = webhook_event_record(submission=submission, trigger=WebhookTrigger.REJECTED)
    return WebhookEvent.objects.get(pk=event.pk)


def test_a_failed_event_is_sent_again_with_the_same_event_id(
    hooked_project, receiver, django_capture_on_commit_callbacks, settings
):
    # given: an event given up after its only allowed attempt
    settings.KYC_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    event = delivered_event(hooked_project, django_capture_on_commit_callbacks)
    assert event.state == WebhookEventState.FAILED and event.attempts == 1

    # when
    with django_capture_on_commit_callbacks(execute=True):
        webhook_resend(event=event, actor=Actor.system("test"))

    # then: sent from a fresh schedule, with the same id and body
    event.refresh_from_db()
    assert event.state == WebhookEventState.DELIVERED and event.attempts == 1
    assert receiver.accepted == [str(event.event_id)]
    assert receiver.requests[0].body == receiver.requests[1].body
    assert event.deliveries.count() == 2
    audit = AuditEvent.objects.get(action="webhook_resent")
    assert audit.project == hooked_project and audit.submission == event.submission
    assert audit.before == {"state": "failed", "attempts": 1}
    assert audit.after == {"event_id": str(event.event_id), "trigger": "rejected", "state": "pending"}


def test_a_delivered_event_resent_is_a_duplicate_for_the_receiver(
    hooked_project, receiver, django_capture_on_commit_callbacks, admin_user
):
    event = delivered_event(hooked_project, django_capture_on_commit_callbacks)
    before = timezone.now()

    with django_capture_on_commit_callbacks() as callbacks:
        resent = webhook_resend(event=event, actor=Actor.for_user(admin_user))
    # pending and due before the commit's enqueue runs
    assert resent.state == WebhookEventState.PENDING and resent.attempts == 0 and resent.delivered_at is None
    assert resent.next_attempt_at >= before and len(callbacks) == 1
    callbacks[0]()

    assert receiver.accepted == [str(event.event_id)] and receiver.duplicates == [str(event.event_id)]
    assert AuditEvent.objects.get(action="webhook_resent").actor_label == admin_user.username
