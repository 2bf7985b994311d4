"""submission_list_timeout_ids: Incomplete, with a retry, idle since the cutoff; keyset batches."""

from datetime import UTC, datetime, timedelta

import pytest

from submissions.choices import SubmissionStatus
from submissions.models import Submission
from submissions.selectors import submission_list_timeout_ids
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db

CUTOFF = datetime(2025, 5, 2, 9, 0, tzinfo=UTC)


def idle_since(submission, when):
    Submission.objects.filter(pk=submission.pk).update(last_activity_at=when)
    return submission


def test_only_idle_incomplete_submissions_with_a_retry_of_the_project(make_project):
    # given
    project, _ = make_project()
    other, _ = make_project()
    old = CUTOFF - timedelta(seconds=1)
    match = idle_since(SubmissionFactory(project=project, retry_count=1), old)
    idle_since(SubmissionFactory(project=project, retry_count=0), old)
    idle_since(SubmissionFactory(project=project, retry_count=1), CUTOFF)
    idle_since(SubmissionFactory(project=project, retry_count=1, target_status=SubmissionStatus.PENDING), old)
    idle_since(SubmissionFactory(project=other, retry_count=1), old)

    # when
    ids = submission_list_timeout_ids(project=project, cutoff=CUTOFF, after_pk=0, limit=10)

    # then
    assert ids == [match.pk]


def test_keyset_batches_in_pk_order(make_project):
    # given
    project, _ = make_project()
    pks = [idle_since(SubmissionFactory(project=project, retry_count=2), CUTOFF - timedelta(days=1)).pk
           for _ in range(5)]

    # when
    first = submission_list_timeout_ids(project=project, cutoff=CUTOFF, after_pk=0, limit=2)
    second = submission_list_timeout_ids(project=project, cutoff=CUTOFF, after_pk=first[-1], limit=2)
    third = submission_list_timeout_ids(project=project, cutoff=CUTOFF, after_pk=second[-1], limit=2)

    # then
    assert (first, second, third) == (pks[0:2], pks[2:4], pks[4:5])
