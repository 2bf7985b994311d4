"""The body of an event: exactly the fields of api.md "Webhooks", and no other personal data."""

import uuid
from datetime import datetime

import pytest

from submissions.checks.base import Finding
from submissions.choices import SubmissionStatus
from submissions.codes import Step1RetryCode
from submissions.tests.factories import SubmissionFactory
from webhooks.choices import WebhookTrigger
from webhooks.services import webhook_payload

pytestmark = pytest.mark.django_db

KYC_RESULT_KEYS = {"status", "commentCode", "comment", "created_at", "updated_at", "kyc_result_at"}
COMMON_KEYS = {"event_id", "project_id", "webhook_trigger", "submission_id", "kyc_result", "userid", "cf"}


def utc(text: str | None) -> datetime | None:
    assert text is None or text.endswith("Z"), text
    return None if text is None else datetime.fromisoformat(text)


def applicant(project, **kwargs):
    return SubmissionFactory(project=project, userid="user-77", cf1="order-1812", cf2="", cf3="blue", **kwargs)


def test_a_retry_event_carries_the_retry_codes_and_the_attempts(project):
    # given: an Incomplete submission after its second retry
    submission = applicant(project, retry_count=2)
    event_id = uuid.uuid4()

    # when: the codes come as a check's Findings or as plain strings
    payload = webhook_payload(
        submission=submission,
        trigger=WebhookTrigger.RETRY,
        retry=[Finding(Step1RetryCode.GLARE_DETECTED), "image_too_blurry"],
        event_id=event_id,
    )

    # then
    assert set(payload) == COMMON_KEYS | {"retryCode", "attempts"}
    assert payload["event_id"] == str(event_id)
    assert payload["project_id"] == project.project_id
    assert payload["webhook_trigger"] == "retry"
    assert payload["submission_id"] == submission.submission_id
    assert payload["retryCode"] == ["glare_detected", "image_too_blurry"]
    assert payload["attempts"] == 2
    assert payload["userid"] == "user-77"
    assert payload["cf"] == {"cf1": "order-1812", "cf2": "", "cf3": "blue"}
    result = payload["kyc_result"]
    assert set(result) == KYC_RESULT_KEYS
    assert result["status"] == "incomplete"
    assert result["commentCode"] == [] and result["comment"] == []
    assert utc(result["created_at"]) == submission.created_at
    assert utc(result["updated_at"]) == submission.updated_at
    assert result["kyc_result_at"] is None


def test_an_approved_event_has_the_decision_time_and_no_retry_fields(project):
    submission = applicant(project, target_status=SubmissionStatus.APPROVED)

    payload = webhook_payload(submission=submission, trigger="approved")

    assert set(payload) == COMMON_KEYS
    assert payload["webhook_trigger"] == "approved"
    assert uuid.UUID(payload["event_id"])
    assert payload["kyc_result"] == {
        "status": "approved",
        "commentCode": [],
        "comment": [],
        "created_at": payload["kyc_result"]["created_at"],
        "updated_at": payload["kyc_result"]["updated_at"],
        "kyc_result_at": payload["kyc_result"]["kyc_result_at"],
    }
    assert utc(payload["kyc_result"]["kyc_result_at"]) == submission.decided_at


def test_a_rejected_event_carries_the_reject_codes_and_comments(project):
    submission = applicant(project, target_status=SubmissionStatus.REJECTED)

    payload = webhook_payload(submission=submission, trigger=WebhookTrigger.REJECTED)

    assert set(payload) == COMMON_KEYS
    assert payload["kyc_result"]["status"] == "rejected"
    assert payload["kyc_result"]["commentCode"] == ["other"]
    assert payload["kyc_result"]["comment"] == ["factory"]
    assert utc(payload["kyc_result"]["kyc_result_at"]) == submission.decided_at


def test_no_personal_data_beyond_the_contract(project):
    submission = applicant(project, target_status=SubmissionStatus.PENDING, email="anna.nowak@example.com")

    payload = webhook_payload(submission=submission, trigger=WebhookTrigger.SUBMIT)

    text = repr(payload)
    assert "anna.nowak" not in text and "Anna Nowak" not in text and "1990-04-12" not in text


def test_an_unknown_trigger_is_refused(project):
    with pytest.raises(ValueError):
        webhook_payload(submission=applicant(project), trigger="approve")
