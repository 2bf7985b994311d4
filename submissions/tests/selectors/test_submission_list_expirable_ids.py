"""submission_list_expirable_ids: Incomplete, created before the cutoff, not yet marked expired."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from submissions.choices import SubmissionStatus
from submissions.models import Submission
from submissions.selectors import submission_list_expirable_ids
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db

CUTOFF = datetime(2025, 5, 4, 9, 0, tzinfo=UTC)


def created(project, when, **fields):
    with time_machine.travel(when, tick=False):
        return SubmissionFactory(project=project, **fields)


def test_only_old_unexpired_incomplete_submissions_of_the_project(make_project):
    # given
    project, _ = make_project()
    other, _ = make_project()
    old = CUTOFF - timedelta(seconds=1)
    match = created(project, old)
    with_retry = created(project, old, retry_count=1)
    created(project, CUTOFF)
    created(project, old, target_status=SubmissionStatus.PENDING)
    created(other, old)
    marked = created(project, old)
    Submission.objects.filter(pk=marked.pk).update(expired_at=CUTOFF)

    # when
    ids = submission_list_expirable_ids(project=project, cutoff=CUTOFF, after_pk=0, limit=10)

    # then
    assert ids == [match.pk, with_retry.pk]


def test_after_pk_and_limit_bound_the_batch(make_project):
    # given
    project, _ = make_project()
    pks = [created(project, CUTOFF - timedelta(days=1)).pk for _ in range(3)]

    # when
    batch = submission_list_expirable_ids(project=project, cutoff=CUTOFF, after_pk=pks[0], limit=1)

    # then
    assert batch == [pks[1]]
