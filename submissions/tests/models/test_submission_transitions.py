"""Submission transitions and their conditions: pure state changes, checked on unsaved instances."""

from datetime import UTC, datetime, timedelta

import django_fsm as fsm
import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from submissions.choices import SubmissionStatus
from submissions.models import Project, Submission
from submissions.tests.factories import SubmissionFactory

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def unsaved(**fields) -> Submission:
    project = fields.pop("project", None) or Project(name="unsaved", submission_validity_hours=72, retry_limit=3)
    fields.setdefault("created_at", NOW)
    return Submission(project=project, email="anna@example.com", issuing_country="POL", **fields)


def pending_unsaved() -> Submission:
    submission = unsaved()
    submission.complete_step1()
    submission.submit()
    return submission


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


# -- submit -----------------------------------------------------------------------------


def test_submit_needs_step1_complete():
    # given
    submission = unsaved()

    # when / then
    assert submission.status == SubmissionStatus.INCOMPLETE
    assert not fsm.can_proceed(submission.submit)
    with pytest.raises(fsm.TransitionNotAllowed):
        submission.submit()
    assert submission.status == SubmissionStatus.INCOMPLETE


def test_submit_after_step1_moves_to_pending_and_stamps_step2():
    # given
    submission = unsaved()
    submission.complete_step1()

    # when
    assert fsm.can_proceed(submission.submit)
    submission.submit()

    # then
    assert submission.status == SubmissionStatus.PENDING
    assert submission.step2_completed_at == NOW
    assert submission.last_activity_at == NOW


def test_submit_is_allowed_exactly_at_the_end_of_the_validity_window():
    # given
    submission = unsaved(created_at=NOW - timedelta(hours=72))
    submission.complete_step1()

    # when / then
    assert submission.is_within_validity()
    assert fsm.can_proceed(submission.submit)


def test_submit_is_refused_after_the_validity_window():
    # given
    submission = unsaved(created_at=NOW - timedelta(hours=72, seconds=1))
    submission.complete_step1()

    # when / then
    assert not submission.is_within_validity()
    assert not fsm.can_proceed(submission.submit)
    assert fsm.can_proceed(submission.submit, check_conditions=False)
    with pytest.raises(fsm.TransitionNotAllowed):
        submission.submit()


def test_submit_is_refused_once_the_sweep_marked_it_expired():
    # given: inside the window, but already marked expired
    submission = unsaved(expired_at=NOW)
    submission.complete_step1()

    # when / then
    assert not fsm.can_proceed(submission.submit)


def test_the_validity_window_is_the_projects():
    # given
    project = Project(name="short", submission_validity_hours=1)
    submission = unsaved(project=project, created_at=NOW - timedelta(hours=2))

    # when / then
    assert submission.validity_deadline() == NOW - timedelta(hours=1)
    assert not submission.is_within_validity()


# -- complete_step1 / retry ------------------------------------------------------------


def test_complete_step1_only_once():
    # given
    submission = unsaved()

    # when
    submission.complete_step1()

    # then
    assert submission.step1_completed_at == NOW
    assert not fsm.can_proceed(submission.complete_step1)
    with pytest.raises(fsm.TransitionNotAllowed):
        submission.complete_step1()


def test_retry_counts_and_stays_incomplete():
    # given
    submission = unsaved(last_activity_at=NOW - timedelta(hours=5))

    # when
    submission.retry()
    submission.retry()

    # then
    assert submission.status == SubmissionStatus.INCOMPLETE
    assert submission.retry_count == 2
    assert submission.last_activity_at == NOW
    assert submission.has_retries_left()
    submission.retry()
    assert not submission.has_retries_left()


def test_retry_is_refused_once_decided():
    # given
    submission = pending_unsaved()

    # when / then
    assert not fsm.can_proceed(submission.retry)
    with pytest.raises(fsm.TransitionNotAllowed):
        submission.retry()


# -- approve ---------------------------------------------------------------------------


def test_approve_from_pending_sets_decided_at():
    # given
    submission = pending_unsaved()

    # when
    submission.approve()

    # then
    assert submission.status == SubmissionStatus.APPROVED
    assert submission.decided_at == NOW


def test_approve_is_refused_from_incomplete():
    # given
    submission = unsaved()
    submission.complete_step1()

    # when / then
    assert not fsm.can_proceed(submission.approve)
    with pytest.raises(fsm.TransitionNotAllowed):
        submission.approve()


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_approve_is_refused_once_decided(decide):
    # given
    submission = pending_unsaved()
    if decide == "approve":
        submission.approve()
    else:
        submission.reject(codes=["other"], comments=["no"])

    # when / then
    assert not fsm.can_proceed(submission.approve)
    with pytest.raises(fsm.TransitionNotAllowed):
        submission.approve()


# -- reject ----------------------------------------------------------------------------


def test_reject_from_incomplete_records_codes_comments_and_time():
    # given
    submission = unsaved()

    # when
    submission.reject(codes=["timeout"], comments=["KYC rejected due to timeout"])

    # then
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["timeout"]
    assert submission.reject_comments == ["KYC rejected due to timeout"]
    assert submission.decided_at == NOW


def test_reject_from_pending_appends_to_existing_codes_and_comments():
    # given
    submission = pending_unsaved()
    submission.reject_codes = ["earlier"]
    submission.reject_comments = ["earlier comment"]

    # when
    submission.reject(codes=["id_image_badImage", "other"], comments=["bad image", "see the guide"])

    # then
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["earlier", "id_image_badImage", "other"]
    assert submission.reject_comments == ["earlier comment", "bad image", "see the guide"]


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_reject_is_refused_once_decided(decide):
    # given
    submission = pending_unsaved()
    if decide == "approve":
        submission.approve()
    else:
        submission.reject(codes=["other"], comments=["no"])

    # when / then
    assert not fsm.can_proceed(submission.reject)
    with pytest.raises(fsm.TransitionNotAllowed):
        submission.reject(codes=["other"], comments=["again"])


# -- protection ------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(SubmissionStatus.values))
def test_status_cannot_be_assigned_on_a_new_instance(status):
    # given
    submission = unsaved()

    # when / then
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        submission.status = status
    assert submission.status == SubmissionStatus.INCOMPLETE


@pytest.mark.django_db
def test_status_cannot_be_assigned_on_a_loaded_instance():
    # given
    submission = Submission.objects.get(pk=SubmissionFactory().pk)

    # when / then
    with pytest.raises(AttributeError):
        submission.status = SubmissionStatus.APPROVED
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.INCOMPLETE


@pytest.mark.django_db
def test_two_loaded_copies_cannot_both_transition_and_save():
    # given
    pending = SubmissionFactory(target_status=SubmissionStatus.PENDING)
    first = Submission.objects.get(pk=pending.pk)
    second = Submission.objects.get(pk=pending.pk)

    # when
    first.approve()
    first.save()
    second.reject(codes=["other"], comments=["late"])

    # then: saved in its own atomic block, as the mixin requires, so it rolls back alone
    with pytest.raises(fsm.ConcurrentTransition), transaction.atomic():
        second.save()
    stored = Submission.objects.get(pk=pending.pk)
    assert stored.status == SubmissionStatus.APPROVED
    assert stored.reject_codes == []


@pytest.mark.django_db
def test_a_reloaded_copy_can_save_again():
    # given
    submission = SubmissionFactory(target_status=SubmissionStatus.PENDING)
    stale = Submission.objects.get(pk=submission.pk)
    submission.approve()
    submission.save()

    # when
    stale.refresh_from_db()

    # then: the reloaded copy sees the decision and saves without conflict
    assert stale.status == SubmissionStatus.APPROVED
    stale.cf1 = "note"
    stale.save()
    assert Submission.objects.get(pk=submission.pk).cf1 == "note"


def test_transitions_do_not_touch_the_database():
    # given: no django_db mark, so any query would raise
    submission = unsaved()

    # when
    submission.complete_step1()
    submission.retry()
    submission.submit()
    submission.approve()

    # then
    assert submission.status == SubmissionStatus.APPROVED
    assert submission.pk is None
    assert timezone.now() == NOW


# -- erased (issue 14 item 4) ---------------------------------------------------------------


def test_an_erased_submission_is_never_approved_but_may_be_rejected():
    submission = pending_unsaved()
    submission.erased_at = NOW
    assert not fsm.can_proceed(submission.approve)
    with pytest.raises(fsm.TransitionNotAllowed):
        submission.approve()
    assert fsm.can_proceed(submission.reject)
    submission.reject(codes=["other"], comments=["erased"])
    assert submission.status == SubmissionStatus.REJECTED
    assert not fsm.can_proceed(submission.reinstate)
