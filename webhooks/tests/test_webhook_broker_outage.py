"""End to end through a real broker: Redis stops, an event is recorded, Redis returns, the drain sends it.

A private `redis-server` on a free port and a real Celery worker subprocess (`celery -A kycreview
worker`) on the test database: nothing here is eager or mocked. PostgreSQL only, since the worker
process must see what this process commits.
"""

import base64
import datetime
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from conftest import image_bytes, require_system
from kycreview.celery import app
from kycreview.tests.processes import RedisServer, celery_app_caches_reset, free_port, wait_for, worker_database_url
from submissions.images import image_read_bytes
from submissions.inputs import Step2Input
from submissions.models import Submission
from submissions.services import submission_step2
from submissions.tests.factories import SubmissionFactory
from vault.selectors import master_keys
from webhooks.choices import WebhookEventState, WebhookTrigger
from webhooks.models import WebhookEvent
from webhooks.services import webhook_event_record
from webhooks.tasks import webhook_outbox_drain_task

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
CONF_KEYS = ("task_always_eager", "broker_url", "broker_transport_options")


def master_keys_entry() -> str:
    """This process's master keys, written as KYC_MASTER_KEYS for another process."""
    return ",".join(f"{key.key_id}:{base64.urlsafe_b64encode(key.secret).decode()}" for key in master_keys())


@pytest.fixture
def broker_and_worker(transactional_db, tmp_path):
    """(RedisServer, worker log path): a private Redis, and a worker subprocess on it and the test database."""
    require_system(shutil.which("redis-server") is not None, "redis-server (the Redis binary)")
    require_system(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL) shared with a worker process")
    server = RedisServer(free_port())
    server.start()
    saved = {key: app.conf[key] for key in CONF_KEYS}
    app.conf.update(task_always_eager=False, broker_url=server.url, broker_transport_options={})
    celery_app_caches_reset()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kycreview.settings.local",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": server.url,
        "DJANGO_DEBUG": "0",
        # The worker opens the project's sealed webhook secret: it holds the master key of this
        # process, as every process of a deployment does.
        "KYC_MASTER_KEYS": master_keys_entry(),
        # The receiver is on this machine over http: what an on-premises deployment would allow.
        "KYC_WEBHOOK_ALLOW_HTTP": "1",
        "KYC_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    }
    celery = str(Path(sys.executable).with_name("celery"))
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [celery, "-A", "kycreview", "worker", "-l", "INFO", "--pool", "solo", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-n", f"webhooks-test-{server.port}@%h"],
            cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(lambda: b" ready." in log.read_bytes() or worker.poll() is not None, "the worker starting")
        assert worker.poll() is None, log.read_text()
        yield server, log
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
        server.stop()
        app.conf.update(saved)
        celery_app_caches_reset(forget_pools=True)


def recorded_in_a_committed_change(submission: Submission, trigger: str) -> WebhookEvent:
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(cf2=trigger)
        submission.refresh_from_db()
        event = webhook_event_record(submission=submission, trigger=trigger)
    return event


def delivered(event: WebhookEvent) -> bool:
    return WebhookEvent.objects.get(pk=event.pk).state == WebhookEventState.DELIVERED


def test_an_event_recorded_while_redis_is_down_is_delivered_once_it_is_back(
    broker_and_worker, hooked_project, receiver
):
    server, log = broker_and_worker
    submission = SubmissionFactory(project=hooked_project)

    # given: the worker delivers through the broker (the on-commit fast path)
    first = recorded_in_a_committed_change(submission, WebhookTrigger.CREATED)
    wait_for(lambda: delivered(first), f"the worker delivering the first event\n{log.read_text()}")

    # when: Redis stops, and a change commits with its event
    server.stop()
    started = time.monotonic()
    second = recorded_in_a_committed_change(submission, WebhookTrigger.UPDATED)
    enqueue_seconds = time.monotonic() - started

    # then: the change committed, its event waits in the outbox
    assert Submission.objects.get(pk=submission.pk).cf2 == WebhookTrigger.UPDATED
    waiting = WebhookEvent.objects.get(pk=second.pk)
    assert waiting.state == WebhookEventState.PENDING and waiting.attempts == 0
    assert enqueue_seconds < 10, f"a refused enqueue held the request {enqueue_seconds:.1f}s"

    # when: Redis is back, and the beat's drain runs (through the broker, on the worker)
    server.start()
    webhook_outbox_drain_task.delay()

    # then
    wait_for(lambda: delivered(second), f"the drain delivering the second event\n{log.read_text()}")
    assert receiver.accepted == [str(first.event_id), str(second.event_id)]
    assert receiver.refused == [] and receiver.duplicates == []


def test_a_step2_made_while_redis_is_down_is_submitted_and_its_event_delivered_once_redis_is_back(
    broker_and_worker, hooked_project, receiver
):
    from submissions.tests.admin.helpers import SYSTEM, submission_through_step1

    server, log = broker_and_worker
    with transaction.atomic():
        submission = submission_through_step1(hooked_project)
    created = WebhookEvent.objects.get(submission=submission, trigger=WebhookTrigger.CREATED)
    wait_for(lambda: delivered(created), f"the worker delivering `created`\n{log.read_text()}")

    # when: Redis stops during the applicant's Step 2
    server.stop()
    with transaction.atomic():
        answer = submission_step2(project=hooked_project, actor=SYSTEM, data=Step2Input(
            submission_id=submission.submission_id, face_image=image_read_bytes(image_bytes(size=(480, 640))),
            name="Anna Nowak", date_of_birth=datetime.date(1990, 4, 12), fields={}))

    # then: the applicant's Step 2 succeeded, its event waits in the outbox
    assert not answer.retry and Submission.objects.get(pk=submission.pk).status == "pending"
    submit = WebhookEvent.objects.get(submission=submission, trigger=WebhookTrigger.SUBMIT)
    assert submit.state == WebhookEventState.PENDING

    # when: Redis is back and the beat's drain runs on the worker
    server.start()
    webhook_outbox_drain_task.delay()
    wait_for(lambda: delivered(submit), f"the drain delivering `submit`\n{log.read_text()}")
    assert receiver.accepted == [str(created.event_id), str(submit.event_id)]
