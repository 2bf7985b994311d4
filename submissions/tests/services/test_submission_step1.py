"""submission_step1: create a submission (or retry its Step 1), store the ID image, count retries."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from audit.models import AuditEvent
from submissions.choices import FileKind, Step, SubmissionStatus
from submissions.codes import Step1ErrorCode, Step2ErrorCode
from submissions.exceptions import SubmissionError
from submissions.models import StoredFile, Submission
from submissions.services import submission_step1
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


def actions(submission) -> list[str]:
    return list(AuditEvent.objects.filter(submission=submission).order_by("id").values_list("action", flat=True))


def test_step1_creates_an_incomplete_submission_with_its_id_image(make_project, system_actor, step1_input):
    # given
    project, _ = make_project()

    # when
    answer = submission_step1(project=project, actor=system_actor, data=step1_input(email="anna@example.com"))

    # then
    submission = Submission.objects.get(pk=answer.submission.pk)
    assert answer.retry == []
    assert submission.status == SubmissionStatus.INCOMPLETE
    assert submission.retry_count == 0
    assert submission.step1_completed_at is not None
    assert (submission.email, submission.issuing_country, submission.id_type) == ("anna@example.com", "POL", "passport")
    front = StoredFile.objects.get(submission=submission, kind=FileKind.ID_FRONT)
    assert default_storage.exists(front.file.name)
    assert actions(submission) == ["created", "step1_completed"]


def test_step1_audit_rows_name_the_actor_and_the_change(make_project, system_actor, step1_input):
    # given
    project, _ = make_project()

    # when
    answer = submission_step1(project=project, actor=system_actor, data=step1_input())

    # then
    created, completed = AuditEvent.objects.filter(submission=answer.submission).order_by("id")
    assert (created.actor_type, created.actor_label, created.project_id) == ("system", "test", project.pk)
    assert created.after_plain == {"status": "incomplete", "email": "anna@example.com"}
    assert created.after["email"].startswith("sealed:")  # stored encrypted with the submission's key
    assert completed.after == {"id_type": "passport", "issuing_country": "POL"}


def test_step1_retry_answer_counts_a_retry_and_leaves_step1_open(
    make_project, system_actor, step1_input, scripted_checks
):
    # given
    project, _ = make_project()
    scripted_checks.retry(Step.STEP1)

    # when
    answer = submission_step1(project=project, actor=system_actor, data=step1_input())

    # then
    submission = Submission.objects.get(pk=answer.submission.pk)
    assert [f.code.value for f in answer.retry] == ["mrz_protocol_fail"]
    assert submission.status == SubmissionStatus.INCOMPLETE
    assert submission.retry_count == 1
    assert submission.step1_completed_at is None
    assert actions(submission) == ["created", "step1_retry"]
    retry_event = AuditEvent.objects.get(submission=submission, action="step1_retry")
    assert retry_event.after == {"retry_count": 1, "retry_codes": ["mrz_protocol_fail"]}


def test_step1_retry_with_the_submission_id_completes_the_same_submission(
    make_project, system_actor, step1_input, scripted_checks
):
    # given
    project, _ = make_project()
    scripted_checks.retry(Step.STEP1)
    first = submission_step1(project=project, actor=system_actor, data=step1_input()).submission

    # when
    second = submission_step1(
        project=project, actor=system_actor, data=step1_input(submission_id=first.submission_id)
    ).submission

    # then
    assert second.pk == first.pk
    assert Submission.objects.count() == 1
    second.refresh_from_db()
    assert second.retry_count == 1
    assert second.step1_completed_at is not None
    assert actions(second) == ["created", "step1_retry", "step1_completed"]
    fronts = StoredFile.objects.filter(submission=second, kind=FileKind.ID_FRONT)
    assert fronts.count() == 2
    assert fronts.filter(superseded_at__isnull=True).count() == 1


@pytest.mark.parametrize("retry_limit", [1, 3])
def test_step1_retries_up_to_the_limit_reject_with_too_many_retry(
    make_project, system_actor, step1_input, scripted_checks, retry_limit
):
    # given
    project, _ = make_project(retry_limit=retry_limit)
    scripted_checks.retry(Step.STEP1, times=retry_limit)
    submission = submission_step1(project=project, actor=system_actor, data=step1_input()).submission

    # when
    for _ in range(retry_limit - 1):
        submission.refresh_from_db()
        assert submission.status == SubmissionStatus.INCOMPLETE
        submission = submission_step1(
            project=project, actor=system_actor, data=step1_input(submission_id=submission.submission_id)
        ).submission

    # then
    submission.refresh_from_db()
    assert submission.retry_count == retry_limit
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["too_many_retry"]
    assert submission.reject_comments == ["Multiple invalid KYC attempts"]
    assert submission.decided_at is not None
    assert actions(submission) == ["created", *["step1_retry"] * retry_limit, "auto_rejected"]
    rejected = AuditEvent.objects.get(submission=submission, action="auto_rejected")
    assert (rejected.actor_type, rejected.actor_label) == ("system", "retry limit")
    assert rejected.before == {"status": "incomplete"}
    assert rejected.after == {"status": "rejected", "reject_codes": ["too_many_retry"]}


def test_step1_after_too_many_retries_answers_processed_submission(
    make_project, system_actor, step1_input, scripted_checks
):
    # given
    project, _ = make_project(retry_limit=1)
    scripted_checks.retry(Step.STEP1)
    submission = submission_step1(project=project, actor=system_actor, data=step1_input()).submission

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step1(project=project, actor=system_actor, data=step1_input(submission_id=submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.PROCESSED_SUBMISSION


def test_step1_twice_on_a_completed_step1_answers_processed_submission(make_project, system_actor, step1_input):
    # given
    project, _ = make_project()
    submission = submission_step1(project=project, actor=system_actor, data=step1_input()).submission

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step1(project=project, actor=system_actor, data=step1_input(submission_id=submission.submission_id))

    # then
    assert error.value.code == Step1ErrorCode.PROCESSED_SUBMISSION
    assert error.value.message == "This submission is already processed."


def test_step1_retry_with_another_email_is_an_invalid_submission_id(
    make_project, system_actor, step1_input, scripted_checks
):
    # given
    project, _ = make_project()
    scripted_checks.retry(Step.STEP1)
    submission = submission_step1(project=project, actor=system_actor, data=step1_input()).submission

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step1(
            project=project, actor=system_actor,
            data=step1_input(email="someone.else@example.com", submission_id=submission.submission_id),
        )

    # then
    assert error.value.code == Step2ErrorCode.INVALID_SUBMISSION_ID


def test_step1_retry_of_another_projects_submission_is_an_invalid_submission_id(
    make_project, system_actor, step1_input
):
    # given
    project, _ = make_project()
    other = SubmissionFactory(step1_done=False, email="anna@example.com")

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step1(project=project, actor=system_actor, data=step1_input(submission_id=other.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.INVALID_SUBMISSION_ID


def stored_names() -> set[str]:
    root = Path(default_storage.location)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_step1_error_from_a_check_leaves_no_row_and_no_file_behind(
    make_project, system_actor, step1_input, scripted_checks
):
    # given: the request's transaction, as the API view holds it
    project, _ = make_project()
    scripted_checks.error(Step.STEP1)
    files_before = stored_names()

    # when
    with pytest.raises(SubmissionError) as error, transaction.atomic():
        submission_step1(project=project, actor=system_actor, data=step1_input())

    # then
    assert error.value.code == Step1ErrorCode.ID_DETECTION_ERROR
    assert not Submission.objects.filter(project=project).exists()
    assert stored_names() == files_before


def test_step1_for_a_pending_email_answers_reviewing_and_creates_nothing(make_project, system_actor, step1_input):
    # given
    project, _ = make_project()
    SubmissionFactory(project=project, email="anna@example.com", target_status=SubmissionStatus.PENDING)

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step1(project=project, actor=system_actor, data=step1_input(email="anna@example.com"))

    # then
    assert error.value.code == Step1ErrorCode.REVIEWING
    assert error.value.message == "anna@example.com's KYC is currently reviewing. Please wait."
    assert Submission.objects.filter(project=project).count() == 1
