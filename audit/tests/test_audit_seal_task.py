"""audit_seal_task: the beat entry point seals what was written since its last run."""

import pytest
from django.conf import settings

from audit.models import AuditEvent
from audit.tasks import audit_seal_task

pytestmark = pytest.mark.django_db


def test_the_task_seals_the_unsealed_events(record, project):
    # given
    record(project=project, action="one")
    record(action="two")

    # when
    sealed = audit_seal_task.delay().get()

    # then
    assert sealed == 2 and not AuditEvent.objects.filter(hash__isnull=True).exists()


def test_beat_runs_it_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-seal"]
    assert (entry["task"], entry["schedule"]) == ("audit.tasks.audit_seal_task", 60.0)
