"""submission_retry_record: one retry counted and audited; the project's limit rejects."""

import pytest

from audit.models import AuditEvent
from submissions.checks import Finding
from submissions.choices import Step, SubmissionStatus
from submissions.codes import Step1RetryCode, Step2RetryCode
from submissions.services import submission_retry_record
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db

STEP1_FINDINGS = [Finding(Step1RetryCode.MRZ_PROTOCOL_FAIL)]
STEP2_FINDINGS = [Finding(Step2RetryCode.NO_FACE), Finding(Step2RetryCode.LIVENESS_FAIL)]


def test_a_retry_increments_the_count_and_writes_an_audit_row(make_project, system_actor):
    # given
    project, _ = make_project(retry_limit=3)
    submission = SubmissionFactory(project=project, step1_done=False)
    before_activity = submission.last_activity_at

    # when
    submission_retry_record(submission=submission, step=Step.STEP1, findings=STEP1_FINDINGS, actor=system_actor)

    # then
    submission.refresh_from_db()
    assert submission.retry_count == 1
    assert submission.status == SubmissionStatus.INCOMPLETE
    assert submission.last_activity_at > before_activity
    event = AuditEvent.objects.get(submission=submission)
    assert (event.action, event.actor_label) == ("step1_retry", "test")
    assert event.after == {"retry_count": 1, "retry_codes": ["mrz_protocol_fail"]}


def test_a_step2_retry_is_audited_with_every_code(make_project, system_actor):
    # given
    project, _ = make_project(retry_limit=3)
    submission = SubmissionFactory(project=project)

    # when
    submission_retry_record(submission=submission, step=Step.STEP2, findings=STEP2_FINDINGS, actor=system_actor)

    # then
    event = AuditEvent.objects.get(submission=submission)
    assert event.action == "step2_retry"
    assert event.after == {"retry_count": 1, "retry_codes": ["no_face", "liveness_fail"]}


def test_step1_and_step2_retries_share_one_counter(make_project, system_actor):
    # given
    project, _ = make_project(retry_limit=3)
    submission = SubmissionFactory(project=project)

    # when
    submission_retry_record(submission=submission, step=Step.STEP1, findings=STEP1_FINDINGS, actor=system_actor)
    submission_retry_record(submission=submission, step=Step.STEP2, findings=STEP2_FINDINGS, actor=system_actor)

    # then
    submission.refresh_from_db()
    assert submission.retry_count == 2
    assert submission.status == SubmissionStatus.INCOMPLETE
    assert list(AuditEvent.objects.filter(submission=submission).order_by("id").values_list("action", flat=True)) == [
        "step1_retry", "step2_retry",
    ]


@pytest.mark.parametrize("retry_limit", [1, 3])
def test_reaching_the_retry_limit_rejects_with_too_many_retry(make_project, system_actor, retry_limit):
    # given
    project, _ = make_project(retry_limit=retry_limit)
    submission = SubmissionFactory(project=project)
    for _ in range(retry_limit - 1):
        submission_retry_record(submission=submission, step=Step.STEP2, findings=STEP2_FINDINGS, actor=system_actor)
    assert submission.status == SubmissionStatus.INCOMPLETE

    # when
    submission_retry_record(submission=submission, step=Step.STEP2, findings=STEP2_FINDINGS, actor=system_actor)

    # then
    submission.refresh_from_db()
    assert submission.retry_count == retry_limit
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["too_many_retry"]
    assert submission.reject_comments == ["Multiple invalid KYC attempts"]
    assert submission.decided_at is not None
    rejection = AuditEvent.objects.get(submission=submission, action="auto_rejected")
    assert (rejection.actor_type, rejection.actor_label) == ("system", "retry limit")
    assert rejection.before == {"status": "incomplete"}
    assert rejection.after == {"status": "rejected", "reject_codes": ["too_many_retry"]}


def test_one_retry_below_the_limit_does_not_reject(make_project, system_actor):
    # given
    project, _ = make_project(retry_limit=3)
    submission = SubmissionFactory(project=project)

    # when
    for _ in range(2):
        submission_retry_record(submission=submission, step=Step.STEP1, findings=STEP1_FINDINGS, actor=system_actor)

    # then
    submission.refresh_from_db()
    assert (submission.retry_count, submission.status) == (2, SubmissionStatus.INCOMPLETE)
    assert not AuditEvent.objects.filter(submission=submission, action="auto_rejected").exists()
