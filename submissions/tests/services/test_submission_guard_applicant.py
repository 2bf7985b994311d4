"""submission_guard_applicant: pending, approved-period and rejected-period guards per email."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from submissions.choices import SubmissionStatus
from submissions.codes import Step1ErrorCode, Step2ErrorCode
from submissions.exceptions import SubmissionError
from submissions.services import submission_guard_applicant, submission_step1
from submissions.tests.factories import SubmissionFactory, decided_at

pytestmark = pytest.mark.django_db

EMAIL = "anna@example.com"
DECIDED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def guard(project, *, codes=Step1ErrorCode, custom_options=None, exclude_pk=None, email=EMAIL) -> None:
    submission_guard_applicant(
        project=project, email=email, custom_options=custom_options or {}, codes=codes, exclude_pk=exclude_pk
    )


def decided_submission(project, status, *, email=EMAIL, when=DECIDED):
    return decided_at(SubmissionFactory(project=project, email=email, target_status=status), when)


def test_a_new_email_passes(make_project):
    # given
    project, _ = make_project(approved_period_days=30, rejected_period_days=30)

    # when / then: no error
    guard(project)
    guard(project, codes=Step2ErrorCode)


def test_a_pending_submission_refuses_step1_with_reviewing(make_project):
    # given
    project, _ = make_project()
    SubmissionFactory(project=project, email=EMAIL, target_status=SubmissionStatus.PENDING)

    # when
    with pytest.raises(SubmissionError) as error:
        guard(project)

    # then
    assert error.value.code == Step1ErrorCode.REVIEWING
    assert error.value.message == f"{EMAIL}'s KYC is currently reviewing. Please wait."


def test_a_pending_submission_is_not_a_step2_refusal(make_project):
    # given: `reviewing` is a Step 1 code only
    project, _ = make_project()
    SubmissionFactory(project=project, email=EMAIL, target_status=SubmissionStatus.PENDING)

    # when / then: no error
    guard(project, codes=Step2ErrorCode)


def test_pending_guards_even_when_custom_options_switch_the_periods_off(make_project):
    # given
    project, _ = make_project(approved_period_days=30, rejected_period_days=30)
    SubmissionFactory(project=project, email=EMAIL, target_status=SubmissionStatus.PENDING)

    # when
    with pytest.raises(SubmissionError) as error:
        guard(project, custom_options={"approvePeriod": False, "rejectPeriod": False})

    # then
    assert error.value.code == Step1ErrorCode.REVIEWING


def test_other_emails_and_other_projects_do_not_count(make_project):
    # given
    project, _ = make_project(approved_period_days=30, rejected_period_days=30)
    other_project, _ = make_project(approved_period_days=30, rejected_period_days=30)
    SubmissionFactory(project=project, email="bob@example.com", target_status=SubmissionStatus.PENDING)
    SubmissionFactory(project=other_project, email=EMAIL, target_status=SubmissionStatus.PENDING)
    SubmissionFactory(project=other_project, email=EMAIL, target_status=SubmissionStatus.APPROVED)

    # when / then: no error
    guard(project)


def test_incomplete_submissions_of_the_email_do_not_count(make_project):
    # given
    project, _ = make_project(approved_period_days=30, rejected_period_days=30)
    SubmissionFactory(project=project, email=EMAIL)

    # when / then: no error
    guard(project)


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (Step1ErrorCode, f"{EMAIL} has an existing approved submission. Not available to submit due to "
                         "'approved period' option to prevent duplication."),
        (Step2ErrorCode, f"{EMAIL} has an existing approved submission. Not available to submit due to "
                         "'approved period' option to prevent duplication."),
    ],
)
def test_an_approval_inside_the_approved_period_refuses(make_project, codes, message):
    # given
    project, _ = make_project(approved_period_days=30)
    decided_submission(project, SubmissionStatus.APPROVED)

    # when
    with time_machine.travel(DECIDED + timedelta(days=29), tick=False), pytest.raises(SubmissionError) as error:
        guard(project, codes=codes)

    # then
    assert error.value.code == codes.PROCESSED_SUBMISSION
    assert error.value.message == message


def test_an_approval_exactly_the_period_old_still_refuses(make_project):
    # given
    project, _ = make_project(approved_period_days=30)
    decided_submission(project, SubmissionStatus.APPROVED)

    # when
    with time_machine.travel(DECIDED + timedelta(days=30), tick=False), pytest.raises(SubmissionError) as error:
        guard(project)

    # then
    assert error.value.code == Step1ErrorCode.PROCESSED_SUBMISSION


def test_an_approval_older_than_the_period_is_allowed(make_project):
    # given
    project, _ = make_project(approved_period_days=30)
    decided_submission(project, SubmissionStatus.APPROVED)

    # when / then: no error one microsecond after the boundary
    with time_machine.travel(DECIDED + timedelta(days=30, microseconds=1), tick=False):
        guard(project)


def test_an_approval_does_not_guard_when_the_approved_period_is_off(make_project):
    # given
    project, _ = make_project(approved_period_days=0)
    decided_submission(project, SubmissionStatus.APPROVED)

    # when / then: no error, even the same second
    with time_machine.travel(DECIDED, tick=False):
        guard(project)


def test_custom_option_approve_period_false_switches_the_approved_guard_off(make_project):
    # given
    project, _ = make_project(approved_period_days=30)
    decided_submission(project, SubmissionStatus.APPROVED)

    # when / then: no error
    with time_machine.travel(DECIDED + timedelta(days=1), tick=False):
        guard(project, custom_options={"approvePeriod": False})


@pytest.mark.parametrize("codes", [Step1ErrorCode, Step2ErrorCode])
def test_a_rejection_inside_the_rejected_period_refuses(make_project, codes):
    # given
    project, _ = make_project(rejected_period_days=7)
    decided_submission(project, SubmissionStatus.REJECTED)

    # when
    with time_machine.travel(DECIDED + timedelta(days=7), tick=False), pytest.raises(SubmissionError) as error:
        guard(project, codes=codes)

    # then: refused up to and including the boundary
    assert error.value.code == codes.REJECTED_SUBMISSION
    assert error.value.message == (
        f"{EMAIL} has an existing rejected submission. Not available to submit due to 'rejected period' "
        "option to prevent duplication."
    )


def test_a_rejection_older_than_the_period_is_allowed(make_project):
    # given
    project, _ = make_project(rejected_period_days=7)
    decided_submission(project, SubmissionStatus.REJECTED)

    # when / then: no error
    with time_machine.travel(DECIDED + timedelta(days=7, seconds=1), tick=False):
        guard(project)


def test_custom_option_reject_period_false_switches_the_rejected_guard_off(make_project):
    # given
    project, _ = make_project(rejected_period_days=7)
    decided_submission(project, SubmissionStatus.REJECTED)

    # when / then: no error
    with time_machine.travel(DECIDED + timedelta(days=1), tick=False):
        guard(project, custom_options={"rejectPeriod": False})


def test_the_approved_period_is_checked_before_the_rejected_period(make_project):
    # given
    project, _ = make_project(approved_period_days=30, rejected_period_days=30)
    decided_submission(project, SubmissionStatus.REJECTED)
    decided_submission(project, SubmissionStatus.APPROVED)

    # when
    with time_machine.travel(DECIDED + timedelta(days=1), tick=False), pytest.raises(SubmissionError) as error:
        guard(project)

    # then
    assert error.value.code == Step1ErrorCode.PROCESSED_SUBMISSION


def test_exclude_pk_leaves_the_submission_itself_out(make_project):
    # given
    project, _ = make_project(approved_period_days=30)
    approved = decided_submission(project, SubmissionStatus.APPROVED)

    # when / then: no error
    with time_machine.travel(DECIDED + timedelta(days=1), tick=False):
        guard(project, codes=Step2ErrorCode, exclude_pk=approved.pk)


def test_step1_service_applies_the_guard_with_the_requests_custom_options(make_project, system_actor, step1_input):
    # given
    project, _ = make_project(approved_period_days=30)
    decided_submission(project, SubmissionStatus.APPROVED)

    with time_machine.travel(DECIDED + timedelta(days=1), tick=False):
        # when
        with pytest.raises(SubmissionError) as error:
            submission_step1(project=project, actor=system_actor, data=step1_input())
        allowed = submission_step1(
            project=project, actor=system_actor, data=step1_input(custom_options={"approvePeriod": False})
        )

    # then
    assert error.value.code == Step1ErrorCode.PROCESSED_SUBMISSION
    assert allowed.submission.status == SubmissionStatus.INCOMPLETE
    assert allowed.submission.custom_options == {"approvePeriod": False}
