"""submission_notify: every change writes its webhook event; applicant emails follow the project options."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from audit.services import Actor
from reviews.services import review_approve, review_data_edit, review_reject, review_status_override
from submissions.choices import SubmissionStatus
from submissions.models import Submission
from submissions.services import submission_erase, submission_sweep
from submissions.tests.admin.helpers import submission_pending, submission_through_step1
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def triggers(submission) -> list[str]:
    return list(WebhookEvent.objects.filter(submission=submission).order_by("pk").values_list("trigger", flat=True))


@pytest.fixture
def project():
    return ProjectFactory(webhook_url="https://hooks.example.com/kyc", notify_applicant_approved=True,
                          notify_applicant_rejected=True, notify_applicant_pending=True)


def test_the_lifecycle_writes_one_event_per_change(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_pending(project)
        review_data_edit(submission_id=submission.submission_id, actor=SYSTEM, edits={"name": "Anna Maria Nowak"})
        review_approve(submission_id=submission.submission_id, actor=SYSTEM)
        review_status_override(submission_id=submission.submission_id, actor=SYSTEM, status="rejected",
                               codes=["other"], comment="Reported stolen.")
        sent = WebhookEvent.objects.get(submission=submission, trigger="rejected").payload
        submission_erase(project=project, submission_id=submission.submission_id, actor=SYSTEM)
    assert triggers(submission) == ["created", "submit", "updated", "approved", "rejected", "delete"]
    assert sent["kyc_result"]["commentCode"] == ["other"]
    assert sent["kyc_result"]["comment"] == ["Reported stolen."]
    # The erasure blanks the comment the stored event copied; its codes stay.
    kept = WebhookEvent.objects.get(submission=submission, trigger="rejected").payload
    assert kept["kyc_result"]["commentCode"] == ["other"] and kept["kyc_result"]["comment"] == []


def test_emails_for_pending_approved_and_rejected(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = submission_pending(project)
    assert [m.subject for m in mail.outbox] == ["Your identity verification is being reviewed"]
    assert mail.outbox[0].to == ["anna@example.com"] and first.submission_id in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        review_reject(submission_id=first.submission_id, actor=SYSTEM, codes=["id_image_badImage"],
                      messages={"id_image_badImage": "Too dark: retake it in daylight."})
    rejected = mail.outbox[-1]
    assert rejected.subject == "Your identity verification could not be approved"
    assert "- Too dark: retake it in daylight." in rejected.body and "Hello Anna Nowak" in rejected.body
    with django_capture_on_commit_callbacks(execute=True):
        second = submission_pending(project, email="bob@example.com")
        review_approve(submission_id=second.submission_id, actor=SYSTEM)
    assert mail.outbox[-1].subject == "Your identity verification is approved"
    # the pending email was not sent: it was already decided when the email went out
    assert [m.to for m in mail.outbox].count(["bob@example.com"]) == 1


def test_options_off_send_no_email_and_no_webhook_without_a_url(django_capture_on_commit_callbacks):
    quiet = ProjectFactory()
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_pending(quiet)
        review_approve(submission_id=submission.submission_id, actor=SYSTEM)
    assert mail.outbox == [] and not WebhookEvent.objects.exists()


def test_a_rolled_back_change_sends_nothing(project, django_capture_on_commit_callbacks):
    submission = submission_through_step1(project)
    before = WebhookEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            from django.db import transaction

            with transaction.atomic():
                review_data_edit(submission_id=submission.submission_id, actor=SYSTEM, edits={"name": "X Y"})
                raise RuntimeError("the caller fails after the edit")
    assert WebhookEvent.objects.count() == before and callbacks == []


def test_retention_erases_decided_submissions_past_the_period():
    project = ProjectFactory(retention_days=30, status="closed")  # closed projects are bound too
    old = SubmissionFactory(project=project, target_status=SubmissionStatus.APPROVED)
    recent = SubmissionFactory(project=project, target_status=SubmissionStatus.REJECTED)
    pending = SubmissionFactory(project=project, target_status=SubmissionStatus.PENDING)
    Submission.objects.filter(pk=old.pk).update(decided_at=timezone.now() - datetime.timedelta(days=31))
    kept_elsewhere = SubmissionFactory(project=ProjectFactory(), target_status=SubmissionStatus.APPROVED)
    Submission.objects.filter(pk=kept_elsewhere.pk).update(decided_at=timezone.now() - datetime.timedelta(days=400))
    report = submission_sweep()
    assert report.erased == 1
    assert Submission.objects.get(pk=old.pk).erased_at is not None
    assert Submission.objects.get(pk=old.pk).entered_data == {}
    for kept in (recent, pending, kept_elsewhere):
        assert Submission.objects.get(pk=kept.pk).erased_at is None
    assert submission_sweep().erased == 0  # idempotent
