"""One attempt at sending an event: signed as documented, logged, and retried with back-off until acknowledged."""

import json
import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection, transaction

from conftest import require_system
from submissions.choices import SubmissionStatus
from submissions.models import Project
from submissions.tests.factories import SubmissionFactory
from webhooks.choices import WebhookEventState, WebhookTrigger
from webhooks.models import WebhookEvent, webhook_backoff
from webhooks.services import webhook_body, webhook_deliver, webhook_event_record, webhook_outbox_drain, webhook_sign
from webhooks.tasks import webhook_deliver_task

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def pending_event(project: Project, trigger=WebhookTrigger.APPROVED) -> WebhookEvent:
    """An event written, whose enqueue goes nowhere: only the calls of the test send it."""
    submission = SubmissionFactory(project=project, target_status=SubmissionStatus.APPROVED, userid="user-77")
    with mock.patch.object(webhook_deliver_task, "delay"):
        event = webhook_event_record(submission=submission, trigger=trigger)
    return WebhookEvent.objects.get(pk=event.pk)


@pytest.mark.django_db
def test_the_request_is_signed_as_documented(hooked_project, receiver, time_machine):
    # given
    time_machine.move_to(START, tick=False)
    event = pending_event(hooked_project)

    # when
    assert webhook_deliver(event_pk=event.pk) is True

    # then: the receiver of the docs accepted it
    assert receiver.accepted == [str(event.event_id)] and receiver.refused == []
    request = receiver.requests[0]
    timestamp = str(int(START.timestamp()))
    assert request.body == webhook_body(payload=event.payload)
    assert json.loads(request.body) == event.payload
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "kycreview-webhooks/1"
    assert request.headers["X-KYC-Event-Id"] == str(event.event_id)
    assert request.headers["X-KYC-Event"] == "approved"
    assert request.headers["X-KYC-Timestamp"] == timestamp
    expected = webhook_sign(secret=hooked_project.webhook_secret, timestamp=timestamp, body=request.body)
    assert request.headers["X-KYC-Signature"] == f"v1={expected}"
    # and the attempt is logged
    event.refresh_from_db()
    assert event.state == WebhookEventState.DELIVERED and event.delivered_at == START and event.attempts == 1
    (delivery,) = event.deliveries.all()
    assert delivery.status_code == 200 and delivery.error == "" and delivery.attempted_at == START
    assert delivery.response_excerpt == '{"status": 200}'


@pytest.mark.django_db
def test_a_tampered_body_a_stale_replay_and_a_duplicate_are_refused(hooked_project, receiver, time_machine):
    # given: a delivered event, and what an eavesdropper captured of it
    time_machine.move_to(START, tick=False)
    event = pending_event(hooked_project)
    webhook_deliver(event_pk=event.pk)
    captured = receiver.requests[0]
    headers = {name: value for name, value in captured.headers.items() if name.startswith(("X-KYC", "Content-Type"))}

    # when: the body is altered
    tampered = captured.body.replace(b'"status":"approved"', b'"status":"rejected"')
    assert tampered != captured.body
    # then
    assert receiver.post(tampered, headers).status_code == 400
    assert receiver.refused == ["bad signature"]

    # when: the very request is replayed within the window: a duplicate, acknowledged, not accepted twice
    assert receiver.post(captured.body, headers).status_code == 200
    assert receiver.accepted == [str(event.event_id)] and receiver.duplicates == [str(event.event_id)]

    # when: it is replayed six minutes later
    time_machine.shift(timedelta(minutes=6))
    assert receiver.post(captured.body, headers).status_code == 400
    assert receiver.refused == ["bad signature", "missing or stale timestamp"]


@pytest.mark.django_db
def test_a_receiver_failing_five_times_gets_the_event_once(
    hooked_project, receiver, time_machine, django_capture_on_commit_callbacks
):
    # given: a receiver answering 500 five times, then verifying
    time_machine.move_to(START, tick=False)
    receiver.statuses = [500] * 5
    submission = SubmissionFactory(project=hooked_project, target_status=SubmissionStatus.APPROVED)

    # when: the change commits (first attempt, by the task), then the drain runs as time passes
    with django_capture_on_commit_callbacks(execute=True):
        event = webhook_event_record(submission=submission, trigger=WebhookTrigger.APPROVED)
    for failed in range(1, 6):
        event.refresh_from_db()
        assert event.state == WebhookEventState.PENDING and event.attempts == failed
        assert event.next_attempt_at == START + sum((webhook_backoff(n) for n in range(1, failed + 1)), timedelta())
        # not due a second early: the drain sends nothing
        time_machine.move_to(event.next_attempt_at - timedelta(seconds=1), tick=False)
        assert webhook_outbox_drain() == 0 and len(receiver.requests) == failed
        time_machine.move_to(event.next_attempt_at, tick=False)
        webhook_outbox_drain()

    # then
    event.refresh_from_db()
    assert event.state == WebhookEventState.DELIVERED and event.attempts == 6 and event.last_error == ""
    assert receiver.accepted == [str(event.event_id)] and receiver.duplicates == []
    deliveries = list(event.deliveries.order_by("attempted_at"))
    assert [d.status_code for d in deliveries] == [500, 500, 500, 500, 500, 200]
    assert deliveries[0].error == "HTTP 500" and deliveries[0].response_excerpt == '{"status": 500}'
    assert len({r.headers["X-KYC-Event-Id"] for r in receiver.requests}) == 1
    # and a later drain sends nothing more
    time_machine.shift(timedelta(days=1))
    assert webhook_outbox_drain() == 0 and len(receiver.requests) == 6


@pytest.mark.django_db
def test_after_the_max_attempts_the_event_is_failed(hooked_project, receiver, time_machine, settings):
    settings.KYC_WEBHOOK_MAX_ATTEMPTS = 3
    time_machine.move_to(START, tick=False)
    receiver.statuses = [503] * 10
    event = pending_event(hooked_project)

    for _ in range(5):
        webhook_outbox_drain()
        time_machine.shift(timedelta(hours=13))

    event.refresh_from_db()
    assert event.state == WebhookEventState.FAILED and event.attempts == 3
    assert event.last_error == "HTTP 503" and event.delivered_at is None
    assert event.deliveries.count() == 3 and len(receiver.requests) == 3


@pytest.mark.django_db
def test_no_response_is_logged_and_retried(hooked_project, time_machine):
    # given: nothing listens on the URL any more
    time_machine.move_to(START, tick=False)
    Project.objects.filter(pk=hooked_project.pk).update(webhook_url="http://127.0.0.1:9/hooks")
    event = pending_event(hooked_project)

    assert webhook_deliver(event_pk=event.pk) is False

    event.refresh_from_db()
    (delivery,) = event.deliveries.all()
    assert delivery.status_code is None and delivery.error.startswith("ConnectionError")
    assert event.state == WebhookEventState.PENDING and event.attempts == 1
    assert event.last_error == delivery.error and event.next_attempt_at == START + timedelta(minutes=1)


@pytest.mark.django_db
def test_an_event_not_due_is_left_alone_unless_forced(hooked_project, receiver, time_machine):
    time_machine.move_to(START, tick=False)
    event = pending_event(hooked_project)
    # a send in flight elsewhere holds this lease
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=START + timedelta(seconds=70))

    assert webhook_deliver(event_pk=event.pk) is False
    assert webhook_outbox_drain() == 0
    assert receiver.requests == []

    assert webhook_deliver(event_pk=event.pk, force=True) is True
    assert receiver.accepted == [str(event.event_id)]


@pytest.mark.django_db
def test_an_event_whose_project_dropped_its_url_is_failed_unsent(hooked_project):
    event = pending_event(hooked_project)
    Project.objects.filter(pk=hooked_project.pk).update(webhook_url="")

    assert webhook_deliver(event_pk=event.pk) is False

    event.refresh_from_db()
    assert event.state == WebhookEventState.FAILED and event.attempts == 0
    assert event.last_error == "The project no longer has a webhook URL." and not event.deliveries.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_locked_by_another_worker_is_skipped(hooked_project, receiver):
    require_system(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    event = pending_event(hooked_project)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                WebhookEvent.objects.select_for_update().get(pk=event.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        # when: this worker tries while the other holds the row
        assert webhook_deliver(event_pk=event.pk) is False
        assert webhook_outbox_drain() == 0
        assert receiver.requests == []
    finally:
        release.set()
        thread.join(10)

    # then: once released, it is sent exactly once
    assert webhook_deliver(event_pk=event.pk) is True
    assert len(receiver.requests) == 1
