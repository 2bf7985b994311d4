"""The outbox: the event is written with the change, sent after the commit, and survives a broker outage."""

import logging
from unittest import mock

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from submissions.models import Submission
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from webhooks.choices import WebhookEventState, WebhookTrigger
from webhooks.models import WebhookEvent
from webhooks.services import webhook_event_record, webhook_outbox_drain
from webhooks.tasks import webhook_deliver_task


def change_and_record(submission: Submission, *, cf1: str) -> WebhookEvent | None:
    """A change and its event in one transaction, as the submission services do it."""
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(cf1=cf1)
        submission.refresh_from_db()
        return webhook_event_record(submission=submission, trigger=WebhookTrigger.UPDATED)


@pytest.mark.django_db
def test_the_event_is_written_with_the_change_and_sent_after_the_commit(
    hooked_project, receiver, django_capture_on_commit_callbacks
):
    # given
    submission = SubmissionFactory(project=hooked_project)

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = change_and_record(submission, cf1="changed")
        # then: the row exists before the commit, and nothing was sent yet
        assert WebhookEvent.objects.filter(pk=event.pk, state=WebhookEventState.PENDING).exists()
        assert receiver.requests == []

    # then: the commit enqueued it (eager in tests) and the receiver accepted it
    assert len(callbacks) == 1
    event = WebhookEvent.objects.get(pk=event.pk)
    assert event.project == hooked_project and event.submission == submission
    assert event.trigger == "updated" and event.payload["cf"]["cf1"] == "changed"
    assert event.payload["event_id"] == str(event.event_id)
    assert event.state == WebhookEventState.DELIVERED and event.attempts == 1
    assert receiver.accepted == [str(event.event_id)]


@pytest.mark.django_db
def test_a_rolled_back_change_writes_and_sends_nothing(hooked_project, receiver, django_capture_on_commit_callbacks):
    submission = SubmissionFactory(project=hooked_project)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            webhook_event_record(submission=submission, trigger=WebhookTrigger.APPROVED)
            raise RuntimeError("the change failed")

    assert not WebhookEvent.objects.exists()
    assert callbacks == []
    assert webhook_outbox_drain() == 0
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_project_without_a_webhook_url_gets_no_event(django_capture_on_commit_callbacks):
    submission = SubmissionFactory(project=ProjectFactory(webhook_url=""))

    with django_capture_on_commit_callbacks() as callbacks:
        assert webhook_event_record(submission=submission, trigger=WebhookTrigger.CREATED) is None

    assert not WebhookEvent.objects.exists() and callbacks == []


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_change_commits_and_the_drain_sends_the_event(hooked_project, receiver, caplog):
    # given: a broker that refuses every message, as Celery reports a Redis that is down
    submission = SubmissionFactory(project=hooked_project)
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with mock.patch.object(webhook_deliver_task, "delay", side_effect=refused) as delay:
        # when: a change commits for real (no test transaction around it)
        with caplog.at_level(logging.WARNING, logger="webhooks.services"):
            event = change_and_record(submission, cf1="while redis was down")

        # then: the change and its event are committed; the event waits, unsent
        delay.assert_called_once_with(event.pk)
        assert Submission.objects.get(pk=submission.pk).cf1 == "while redis was down"
        event = WebhookEvent.objects.get(pk=event.pk)
        assert event.state == WebhookEventState.PENDING and event.attempts == 0
        assert not event.deliveries.exists() and receiver.requests == []
        assert "not enqueued" in caplog.text and "OperationalError" in caplog.text

        # when: the minutely drain runs (it sends in its own process, not through the broker)
        delivered = webhook_outbox_drain()

    # then
    assert delivered == 1
    event = WebhookEvent.objects.get(pk=event.pk)
    assert event.state == WebhookEventState.DELIVERED
    assert receiver.accepted == [str(event.event_id)]
    assert receiver.requests[0].headers["X-KYC-Event"] == "updated"
