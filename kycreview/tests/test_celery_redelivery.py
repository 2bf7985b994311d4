"""A killed periodic task runs again within its period; a running or waiting task is never handed out twice.

Settings-level invariants of the Redis transport (kycreview/settings/base.py, CELERY section).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery.schedules import crontab, schedule
from django.conf import settings

from kycreview.celery import app

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def redis_options() -> dict:
    """The production-shaped transport options: base settings loaded with a REDIS_URL, in a fresh process."""
    code = ("import json; from kycreview.settings import base; "
            "print(json.dumps([base.CELERY_BROKER_TRANSPORT_OPTIONS, base.CELERY_TASK_TIME_LIMIT]))")
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                         check=True).stdout
    options, hard_limit = json.loads(out.strip().splitlines()[-1])
    assert hard_limit == settings.CELERY_TASK_TIME_LIMIT
    return options


def period_seconds(entry_schedule) -> float:
    """The shortest gap between two runs of a beat schedule."""
    if isinstance(entry_schedule, crontab):
        assert entry_schedule.hour == set(range(24)), "a daily crontab: its period is not its minutes' gap"
        minutes = sorted(entry_schedule.minute)
        gaps = [b - a for a, b in zip(minutes, minutes[1:] + [minutes[0] + 60], strict=True)]
        return min(gaps) * 60.0
    if isinstance(entry_schedule, schedule):
        return entry_schedule.run_every.total_seconds()
    return float(entry_schedule)


def project_tasks():
    app.loader.import_default_modules()
    return [task for name, task in app.tasks.items() if not name.startswith("celery.")]


def redelivery_seconds(options: dict) -> float:
    """How long after its worker died a taken message is back in the queue, at the latest."""
    return options["visibility_timeout"] + options["unacked_restore_interval"] * options["unacked_restore_throttle"]


def test_every_periodic_task_is_run_again_within_its_period_after_its_worker_died(redis_options):
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        period = period_seconds(entry["schedule"])
        expires = entry.get("options", {}).get("expires")
        # Either the redelivered message comes back before the next run would have started, or it
        # expires by then and the next run (idempotent) does the work.
        assert redelivery_seconds(redis_options) <= period or (expires is not None and expires <= period), name


def test_the_sweep_is_redelivered_within_five_minutes(redis_options):
    assert redelivery_seconds(redis_options) <= 300


def test_the_visibility_timeout_exceeds_every_tasks_hard_time_limit(redis_options):
    for task in project_tasks():
        hard_limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        assert hard_limit < redis_options["visibility_timeout"], task.name
        soft_limit = task.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT
        assert soft_limit < hard_limit, task.name


def test_no_retry_countdown_outlasts_the_visibility_timeout(redis_options):
    for task in project_tasks():
        if getattr(task, "autoretry_for", ()) or task.max_retries:
            longest = task.retry_backoff_max if getattr(task, "retry_backoff", False) else task.default_retry_delay
            assert longest < redis_options["visibility_timeout"], task.name


def test_the_periodic_tasks_are_acknowledged_late_and_requeued_when_their_worker_is_lost():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        task = app.tasks[entry["task"]]
        assert task.acks_late and task.reject_on_worker_lost, task.name
