"""submission_step2: selfie and identity data, retries shared with Step 1, validity, then a decision."""

from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from submissions.choices import FileKind, Step, SubmissionStatus
from submissions.codes import Step2ErrorCode
from submissions.exceptions import SubmissionError
from submissions.models import StoredFile, Submission
from submissions.services import submission_step1, submission_step2
from submissions.tests.factories import SubmissionFactory, decided_at

pytestmark = pytest.mark.django_db


def actions(submission) -> list[str]:
    return list(AuditEvent.objects.filter(submission=submission).order_by("id").values_list("action", flat=True))


@pytest.fixture
def after_step1(system_actor, step1_input):
    """after_step1(project, **step1 fields) -> a submission that passed Step 1 through the service."""

    def make(project, **fields) -> Submission:
        return submission_step1(project=project, actor=system_actor, data=step1_input(**fields)).submission

    return make


def test_step2_moves_the_submission_to_pending(make_project, system_actor, step2_input, after_step1):
    # given
    project, _ = make_project()
    submission = after_step1(project)

    # when
    answer = submission_step2(
        project=project, actor=system_actor,
        data=step2_input(submission.submission_id, name="Anna Nowak", date_of_birth=date(1990, 4, 12)),
    )

    # then
    submission.refresh_from_db()
    assert answer.retry == []
    assert submission.status == SubmissionStatus.PENDING
    assert submission.step2_completed_at is not None
    assert submission.entered_data == {"name": "Anna Nowak", "date_of_birth": "1990-04-12"}
    assert len(submission.identity_key) == 64
    selfie = StoredFile.objects.get(submission=submission, kind=FileKind.SELFIE)
    assert default_storage.exists(selfie.file.name)
    assert actions(submission) == ["created", "step1_completed", "submitted"]
    submitted = AuditEvent.objects.get(submission=submission, action="submitted")
    assert (submitted.before, submitted.after) == ({"status": "incomplete"}, {"status": "pending"})


def test_step2_twice_answers_processed_submission(make_project, system_actor, step2_input, after_step1):
    # given
    project, _ = make_project()
    submission = after_step1(project)
    submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.PROCESSED_SUBMISSION
    assert error.value.message == "This submission is already processed."
    assert StoredFile.objects.filter(submission=submission, kind=FileKind.SELFIE).count() == 1


def test_step2_before_step1_passed_is_an_invalid_submission_id(
    make_project, system_actor, step2_input, after_step1, scripted_checks
):
    # given
    project, _ = make_project()
    scripted_checks.retry(Step.STEP1)
    submission = after_step1(project)

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.INVALID_SUBMISSION_ID


def test_step2_of_another_projects_submission_is_an_invalid_submission_id(
    make_project, system_actor, step2_input, after_step1
):
    # given
    project, _ = make_project()
    other_project, _ = make_project()
    submission = after_step1(other_project)

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.INVALID_SUBMISSION_ID


def test_step2_without_the_stored_id_image_answers_no_submission(make_project, system_actor, step2_input):
    # given: Step 1 marked done but its image is gone
    project, _ = make_project()
    submission = SubmissionFactory(project=project)

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.NO_SUBMISSION


def test_step2_retry_counts_a_retry_and_keeps_the_submission_incomplete(
    make_project, system_actor, step2_input, after_step1, scripted_checks
):
    # given
    project, _ = make_project()
    submission = after_step1(project)
    scripted_checks.retry(Step.STEP2)

    # when
    answer = submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    submission.refresh_from_db()
    assert [f.code.value for f in answer.retry] == ["face_compare_underscore"]
    assert submission.status == SubmissionStatus.INCOMPLETE
    assert submission.retry_count == 1
    assert submission.entered_data == {}
    assert actions(submission) == ["created", "step1_completed", "step2_retry"]


def test_retry_count_is_shared_between_step1_and_step2(
    make_project, system_actor, step1_input, step2_input, scripted_checks
):
    # given: limit 3; one Step 1 retry, then Step 1 passes
    project, _ = make_project(retry_limit=3)
    scripted_checks.retry(Step.STEP1)
    scripted_checks.retry(Step.STEP2, times=2)
    submission = submission_step1(project=project, actor=system_actor, data=step1_input()).submission
    submission_step1(project=project, actor=system_actor, data=step1_input(submission_id=submission.submission_id))

    # when: the second Step 2 retry is the third retry of the submission
    first = submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))
    second = submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert (first.submission.retry_count, first.submission.status) == (2, SubmissionStatus.INCOMPLETE)
    assert (second.submission.retry_count, second.submission.status) == (3, SubmissionStatus.REJECTED)
    submission.refresh_from_db()
    assert submission.retry_count == 3
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["too_many_retry"]
    assert actions(submission) == [
        "created", "step1_retry", "step1_completed", "step2_retry", "step2_retry", "auto_rejected",
    ]


@pytest.mark.parametrize("retry_limit", [1, 3])
def test_step2_retries_up_to_the_limit_reject_with_too_many_retry(
    make_project, system_actor, step2_input, after_step1, scripted_checks, retry_limit
):
    # given
    project, _ = make_project(retry_limit=retry_limit)
    submission = after_step1(project)
    scripted_checks.retry(Step.STEP2, times=retry_limit)

    # when
    for _ in range(retry_limit):
        answer = submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    submission.refresh_from_db()
    assert answer.submission.status == SubmissionStatus.REJECTED
    assert submission.retry_count == retry_limit
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["too_many_retry"]
    assert submission.reject_comments == ["Multiple invalid KYC attempts"]
    assert actions(submission).count("step2_retry") == retry_limit
    assert actions(submission)[-1] == "auto_rejected"


def test_step2_after_too_many_retries_answers_processed_submission(
    make_project, system_actor, step2_input, after_step1, scripted_checks
):
    # given
    project, _ = make_project(retry_limit=1)
    submission = after_step1(project)
    scripted_checks.retry(Step.STEP2)
    submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.PROCESSED_SUBMISSION


def test_step2_exactly_at_the_end_of_the_validity_window_is_accepted(
    make_project, system_actor, step2_input, after_step1
):
    # given
    project, _ = make_project(submission_validity_hours=72)
    submission = after_step1(project)

    # when
    with time_machine.travel(submission.created_at + timedelta(hours=72), tick=False):
        answer = submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert answer.submission.status == SubmissionStatus.PENDING


@pytest.mark.parametrize("validity_hours", [72, 1])
def test_step2_after_the_validity_window_answers_exceeded_72hour_limit(
    make_project, system_actor, step2_input, after_step1, validity_hours
):
    # given
    project, _ = make_project(submission_validity_hours=validity_hours)
    submission = after_step1(project)

    # when
    late = submission.created_at + timedelta(hours=validity_hours, seconds=1)
    with time_machine.travel(late, tick=False), pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.EXCEEDED_72HOUR_LIMIT
    assert error.value.message == "The submission is invalid because it has been more than 72 hours since step1."
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.INCOMPLETE


def test_step2_with_an_approval_inside_the_approved_period_answers_processed_submission(
    make_project, system_actor, step2_input, after_step1
):
    # given: the email was approved on another submission after this one passed Step 1
    project, _ = make_project(approved_period_days=30)
    submission = after_step1(project, email="anna@example.com")
    approved = SubmissionFactory(project=project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)
    decided_at(approved, timezone.now() - timedelta(days=3))

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.PROCESSED_SUBMISSION
    assert error.value.message.startswith("anna@example.com has an existing approved submission.")


def test_step2_with_approve_period_switched_off_by_custom_options_passes(
    make_project, system_actor, step2_input, after_step1
):
    # given
    project, _ = make_project(approved_period_days=30)
    submission = after_step1(project, email="anna@example.com", custom_options={"approvePeriod": False})
    SubmissionFactory(project=project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)

    # when
    answer = submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert answer.submission.status == SubmissionStatus.PENDING


def test_step2_with_a_rejection_inside_the_rejected_period_answers_rejected_submission(
    make_project, system_actor, step2_input, after_step1
):
    # given
    project, _ = make_project(rejected_period_days=10)
    submission = after_step1(project, email="anna@example.com")
    SubmissionFactory(project=project, email="anna@example.com", target_status=SubmissionStatus.REJECTED)

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.REJECTED_SUBMISSION


def test_step2_runs_the_automatic_rules(make_project, system_actor, step2_input, after_step1):
    # given
    project, _ = make_project(blacklist_countries=["POL"])
    submission = after_step1(project, country="POL")

    # when
    answer = submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    submission.refresh_from_db()
    assert answer.submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["blacklistCountry"]
    assert submission.reject_comments == ["According to the policy, we do not accept KYC from POL."]
    assert actions(submission)[-2:] == ["submitted", "auto_rejected"]


def stored_names() -> set[str]:
    root = Path(default_storage.location)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_step2_error_from_a_check_leaves_no_selfie_behind(
    make_project, system_actor, step2_input, after_step1, scripted_checks
):
    # given
    project, _ = make_project()
    submission = after_step1(project)
    scripted_checks.error(Step.STEP2)
    files_before = stored_names()

    # when
    with pytest.raises(SubmissionError) as error, transaction.atomic():
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.FACE_VALIDATION_ERROR
    assert stored_names() == files_before
    assert not StoredFile.objects.filter(submission=submission, kind=FileKind.SELFIE).exists()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.INCOMPLETE


def test_step2_auto_approves_at_the_projects_score(
    make_project, system_actor, step2_input, after_step1, scripted_checks
):
    # given: the checks score 90; the project approves from 80
    project, _ = make_project(auto_approve_score=80)
    scripted_checks.score = 90
    submission = after_step1(project)

    # when
    answer = submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    submission.refresh_from_db()
    assert answer.submission.status == SubmissionStatus.APPROVED
    assert submission.status == SubmissionStatus.APPROVED
    assert submission.overall_score == 90
    assert actions(submission) == ["created", "step1_completed", "submitted", "auto_approved"]
