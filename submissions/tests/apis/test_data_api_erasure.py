"""Erasure over HTTP (issue 14 items 4 and 5): an erased submission is never decided, and it is
erased once.

Item 4: DELETE on a Pending submission used to leave it Pending, in the review queue, and
`POST /v3/submission/review` approved it with no data left. Erasing an undecided submission
now ends it: rejected by the system with `other`, audited, out of the queue, and every call on
it answers `no_submission`, as the workspace's case page refuses it too.
Item 5: a second DELETE answered 200 and wrote another `erased` audit row every time.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from conftest import assert_error
from reviews.models import ProjectMembership
from submissions.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)

ERASED_UNDECIDED_COMMENT = "The submission's data was erased before a decision."
NO_SUBMISSION = ("no_submission", "Fail to find the submission data. Please contact CS center.")
REVIEW = "/v3/submission/review"


def pending(client, email="anna@example.com") -> str:
    submission_id = client.step1(email=email).json()["submissionId"]
    assert client.step2(submission_id, document_number="AB1234567").json()["kycStatus"] == "pending"
    return submission_id


def reviewer_browser(project) -> Client:
    user = get_user_model().objects.create_user(username="rita", password="pw-for-tests-only", is_staff=True)
    ProjectMembership.objects.create(user=user, project=project, role="reviewer")
    browser = Client()
    browser.force_login(user)
    return browser


def test_erasing_a_pending_submission_rejects_it_and_nobody_can_approve_it(api):
    client = api()
    submission_id = pending(client)
    browser = reviewer_browser(client.project)
    queue = reverse("admin:review_queue")
    assert submission_id in browser.get(queue).content.decode()

    response = client.delete("/v3/submission", {"submission_id": submission_id, "admin_name": "dpo"})

    assert response.status_code == 200, response.text
    assert response.json()["kycStatus"] == "rejected"
    assert response.json()["kyc"] == {"result": "rejected", "commentCode": ["other"],
                                      "comment": [ERASED_UNDECIDED_COMMENT]}
    submission = Submission.objects.get(submission_id=submission_id)
    assert submission.status == "rejected" and submission.erased_at is not None
    rejected = AuditEvent.objects.get(submission=submission, action="erasure_rejected")
    assert (rejected.actor_type, rejected.actor_label) == ("system", "erasure")
    # The API refuses a decision, as for every other call on an erased submission.
    for status in ("approved", "rejected"):
        body = {"submissionId": submission_id, "status": status,
                "rejectComment": {"commentCode": ["other"], "comment": ["x"]}}
        assert_error(client.post_json(REVIEW, body), *NO_SUBMISSION)
    assert_error(client.patch_json("/v3/submission", {"submissionId": submission_id,
                                                      "data": {"kycStatus": "approved"}}), *NO_SUBMISSION)
    # The workspace agrees: not in the queue, and the case page offers no decision.
    assert submission_id not in browser.get(queue).content.decode()
    case = browser.get(reverse("admin:submissions_submission_decide", args=[submission.pk]))
    assert case.status_code == 200
    assert "This submission was erased: it can no longer be decided." in case.content.decode()
    assert 'name="decision"' not in case.content.decode()
    posted = browser.post(reverse("admin:submissions_submission_decide", args=[submission.pk]),
                          {"action": "decide", "decision": "approve"})
    assert posted.status_code == 200
    submission.refresh_from_db()
    assert submission.status == "rejected" and submission.reject_codes == ["other"]
    assert not AuditEvent.objects.filter(submission=submission, action__startswith="review_").exists()


def test_erasing_an_incomplete_submission_ends_it_too(api):
    client = api()
    submission_id = client.step1().json()["submissionId"]
    response = client.delete("/v3/submission", {"submission_id": submission_id})
    assert response.status_code == 200 and response.json()["kycStatus"] == "rejected"
    assert_error(client.step2(submission_id), *NO_SUBMISSION)


def test_a_decided_submission_keeps_its_decision_when_erased(api):
    client = api()
    submission_id = pending(client)
    approved = client.post_json(REVIEW, {"submissionId": submission_id, "status": "approved"})
    assert approved.json()["kycStatus"] == "approved"
    response = client.delete("/v3/submission", {"submission_id": submission_id})
    assert response.status_code == 200 and response.json()["kycStatus"] == "approved"
    submission = Submission.objects.get(submission_id=submission_id)
    assert not AuditEvent.objects.filter(submission=submission, action="erasure_rejected").exists()
    # Reinstating or re-approving it would approve a submission with no data: refused.
    assert_error(client.patch_json("/v3/submission", {"submissionId": submission_id,
                                                      "data": {"kycStatus": "rejected"},
                                                      "rejectComment": {"commentCode": ["other"],
                                                                        "comment": ["x"]}}), *NO_SUBMISSION)


def test_partly_erasing_a_pending_submission_ends_it(api):
    client = api()
    submission_id = pending(client)
    response = client.delete("/v3/submission/partial", {"submission_id": submission_id, "fields": "data"})
    assert response.status_code == 200 and response.json()["kycStatus"] == "rejected"
    assert_error(client.post_json(REVIEW, {"submissionId": submission_id, "status": "approved"}),
                 "not_pending", "This submission is not pending review.")
    assert Submission.objects.get(submission_id=submission_id).status == "rejected"


@pytest.mark.parametrize("path", ["/v3/submission", "/v3/submission/partial"])
def test_a_second_erasure_answers_no_submission_and_writes_nothing(api, path):
    client = api()
    submission_id = pending(client)
    assert client.delete("/v3/submission", {"submission_id": submission_id}).status_code == 200
    submission = Submission.objects.get(submission_id=submission_id)
    events = list(AuditEvent.objects.filter(submission=submission).values_list("pk", flat=True))
    webhooks = submission.webhook_events.count()

    for _ in range(3):
        assert_error(client.delete(path, {"submission_id": submission_id, "fields": "data,id_image"}),
                     *NO_SUBMISSION)

    assert list(AuditEvent.objects.filter(submission=submission).values_list("pk", flat=True)) == events
    assert AuditEvent.objects.filter(submission=submission, action="erased").count() == 1
    assert submission.webhook_events.count() == webhooks
    # Every other call on it answers the same.
    assert_error(client.get("/v3/submission", {"submission_id": submission_id}), *NO_SUBMISSION)
    assert_error(client.patch_json("/v3/submission", {"submissionId": submission_id,
                                                      "data": {"fullName": "Anna Nowak"}}), *NO_SUBMISSION)
    assert_error(client.post_json(REVIEW, {"submissionId": submission_id, "status": "approved"}), *NO_SUBMISSION)
