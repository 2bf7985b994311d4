"""A real Celery worker on Redis runs the sweep task and rejects a timed-out submission.

The worker runs in this process (one thread, solo pool) with the project's Celery app, on a
queue of its own so no other worker on the same Redis picks the message up.
"""

import os
import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis
from celery import signals
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from django.db import OperationalError, connections
from django.utils import timezone

from conftest import require_system
from kycreview.celery import app
from kycreview.tests.processes import celery_app_caches_reset
from submissions.choices import SubmissionStatus
from submissions.models import Submission
from submissions.tasks import submission_sweep_task
from submissions.tests.factories import SubmissionFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
WAIT_SECONDS = 20
# What the test changes on the shared app, restored afterwards.
CONF_KEYS = (
    "task_always_eager", "broker_url", "broker_transport_options", "task_default_queue",
    "worker_hijack_root_logger", "worker_enable_remote_control",
)


def redis_is_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False



def close_thread_connections(**_kwargs) -> None:
    # Runs in the worker thread after each task: its connection must not outlive the test.
    for conn in connections.all(initialized_only=True):
        conn.close()


@pytest.fixture
def redis_worker():
    """An in-process worker consuming a fresh queue on REDIS_URL; yields the queue name."""
    require_system(redis_is_reachable(REDIS_URL), "Redis (REDIS_URL)")
    queue = f"kycreview-test-{uuid.uuid4().hex}"
    saved = {key: app.conf[key] for key in CONF_KEYS}
    app.conf.update(
        task_always_eager=False,
        broker_url=REDIS_URL,
        broker_transport_options={},
        task_default_queue=queue,
        worker_hijack_root_logger=False,
        worker_enable_remote_control=False,
    )
    celery_app_caches_reset()
    signals.task_postrun.connect(close_thread_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            yield queue
    finally:
        signals.task_postrun.disconnect(close_thread_connections)
        app.conf.update(saved)
        celery_app_caches_reset(forget_pools=True)
        client = redis.Redis.from_url(REDIS_URL)
        leftovers = list(client.scan_iter(match=f"*{queue}*"))  # the queue and kombu's bindings of it
        if leftovers:
            client.delete(*leftovers)


def wait_until_rejected(submission: Submission) -> Submission:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            current = Submission.objects.get(pk=submission.pk)
        except OperationalError:  # SQLite: the worker's write transaction holds the table
            current = None
        if current is not None and current.status == SubmissionStatus.REJECTED:
            return current
        if time.monotonic() > deadline:
            return current or Submission.objects.get(pk=submission.pk)
        time.sleep(0.1)


def test_a_real_worker_runs_the_sweep_and_rejects_a_timed_out_submission(make_project, redis_worker):
    # given: an Incomplete submission with a retry and no activity for two days
    project, _ = make_project(incomplete_timeout_hours=24)
    submission = SubmissionFactory(project=project, retry_count=1)
    Submission.objects.filter(pk=submission.pk).update(last_activity_at=timezone.now() - timedelta(days=2))
    fresh = SubmissionFactory(project=project, retry_count=1)

    ran_in = []

    def record_thread(sender=None, **_kwargs):
        ran_in.append((sender.name, threading.get_ident()))

    signals.task_prerun.connect(record_thread, weak=False)

    # when
    try:
        result = submission_sweep_task.delay()
        rejected = wait_until_rejected(submission)
    finally:
        signals.task_prerun.disconnect(record_thread)

    # then: the worker thread ran it, from the broker, not eagerly here
    assert not isinstance(result, EagerResult)
    assert ran_in and ran_in[0][0] == "submissions.tasks.submission_sweep_task"
    assert ran_in[0][1] != threading.get_ident()
    assert rejected.status == SubmissionStatus.REJECTED, f"not rejected within {WAIT_SECONDS}s"
    assert rejected.reject_codes == ["timeout"]
    assert rejected.reject_comments == ["KYC rejected due to timeout"]
    assert rejected.audit_events.filter(action="timed_out", actor_label="validity sweep").count() == 1
    assert Submission.objects.get(pk=fresh.pk).status == SubmissionStatus.INCOMPLETE
