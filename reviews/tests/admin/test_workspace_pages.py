"""The workspace pages over HTTP: queue, case page claims, four-eyes, scope (404) and masking."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from reviews.models import ReviewClaim, ReviewDecision
from submissions.choices import CheckOutcome, Step, SubmissionStatus
from submissions.file_urls import stored_file_admin_url
from submissions.models import CheckResult, Submission
from submissions.tests.admin.helpers import messages_of, staff_member, submission_pending
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/queue/"


def case_url(submission) -> str:
    return reverse("admin:submissions_submission_decide", args=[submission.pk])


def inline_scripts(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag and "application/json" not in tag]


def approve(submission, **extra) -> dict:
    data = {"action": "decide", "decision": "approve", "issuing_country": submission.issuing_country,
            "id_type": submission.id_type, "name": submission.entered_data.get("name", ""),
            "date_of_birth": submission.entered_data.get("date_of_birth", ""),
            "document_number": submission.entered_data.get("document_number", "")}
    data.update(extra)
    return data


@pytest.fixture
def case(project):
    return submission_pending(project)


def sql_statements(context) -> list[str]:
    """The queries of a request, without the savepoints of ATOMIC_REQUESTS."""
    return [q["sql"] for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_queue_lists_pending_cases_with_a_fixed_query_count(client, project, case):
    client.force_login(staff_member("rita", project, "reviewer"))
    with CaptureQueriesContext(connection) as first:
        response = client.get(QUEUE)
    html = response.content.decode()
    assert response.status_code == 200 and case.submission_id in html and case_url(case) in html
    assert not inline_scripts(html)
    for number in range(5):
        submission_pending(project, email=f"more{number}@example.com")
    with CaptureQueriesContext(connection) as filtered:
        assert client.get(QUEUE + "?finding=any&age=0&assignee=unclaimed&country=POL").status_code == 200
    with CaptureQueriesContext(connection) as more:
        assert client.get(QUEUE).status_code == 200
    assert len(sql_statements(first)) == len(sql_statements(more)) <= 10
    assert len(sql_statements(filtered)) <= 10


def test_next_case_opens_the_oldest_unclaimed_one(client, project, case):
    newer = submission_pending(project, email="newer@example.com")
    client.force_login(staff_member("rita", project, "reviewer"))
    assert client.get(QUEUE + "?next=1")["Location"] == case_url(case)
    ReviewClaim.objects.create(submission=case, reviewer=staff_member("sam", project, "reviewer"))
    assert client.get(QUEUE + "?next=1")["Location"] == case_url(newer)


def test_opening_a_case_claims_it_and_another_reviewer_sees_it_taken(client, project, case):
    client.force_login(staff_member("rita", project, "reviewer"))
    html = client.get(case_url(case)).content.decode()
    assert "Claimed by you" in html and 'id="decision-form"' in html and not inline_scripts(html)
    client.force_login(staff_member("sam", project, "reviewer"))
    html = client.get(case_url(case)).content.decode()
    assert "Taken by rita" in html and 'id="decision-form"' not in html
    response = client.post(case_url(case), approve(case))
    assert "This submission is being reviewed by rita." in response.content.decode()
    assert Submission.objects.get(pk=case.pk).status == SubmissionStatus.PENDING


def test_a_lapsed_claim_passes_to_the_next_reviewer(client, project, case):
    client.force_login(staff_member("rita", project, "reviewer"))
    client.get(case_url(case))
    ReviewClaim.objects.update(last_seen_at=timezone.now() - datetime.timedelta(hours=2))
    client.force_login(staff_member("sam", project, "reviewer"))
    assert "Claimed by you" in client.get(case_url(case)).content.decode()


def test_release_and_heartbeat(client, project, case):
    client.force_login(staff_member("rita", project, "reviewer"))
    client.get(case_url(case))
    beat = client.post(case_url(case), {"action": "heartbeat"})
    assert beat.status_code == 200 and beat.json()["claimed"] is True
    response = client.post(case_url(case), {"action": "release"})
    assert response["Location"] == QUEUE and not ReviewClaim.objects.exists()
    client.force_login(staff_member("sam", project, "reviewer"))
    client.get(case_url(case))
    client.force_login(case.project.memberships.get(user__username="rita").user)
    assert client.post(case_url(case), {"action": "heartbeat"}).status_code == 409


def test_the_case_page_draws_the_evidence_and_scores(client, project, case):
    CheckResult.objects.create(
        submission=case, step=Step.STEP1, attempt=0, check_name="mrz", outcome=CheckOutcome.RETRY,
        code="check_digit_failed", score=0, threshold=100, duration_ms=1,
        evidence={"side": "front", "lines": [{"text": "P<POL", "box": [[10, 10], [300, 10], [300, 30], [10, 30]]}],
                  "failed_check_digits": [{"field": "birth_date", "box": [[200, 40], [210, 40], [210, 60], [200, 60]]}]},
    )
    client.force_login(staff_member("rita", project, "reviewer"))
    html = client.get(case_url(case)).content.decode()
    assert 'class="kyc-evidence"' in html
    assert 'points="200.0,40.0 210.0,40.0 210.0,60.0 200.0,60.0" class="kyc-shape kyc-shape-failure kyc-shape-failed"' in html
    assert "Checks and retry history" in html and "<meter" in html
    assert "Audit timeline" in html and "review_claimed" in html


def test_related_submissions_by_email(client, project, case):
    earlier = SubmissionFactory(project=project, email=case.email, target_status=SubmissionStatus.REJECTED)
    client.force_login(staff_member("rita", project, "reviewer"))
    html = client.get(case_url(case)).content.decode()
    assert earlier.submission_id in html and "email" in html


def test_reject_with_an_edited_client_message(client, project, case):
    client.force_login(staff_member("rita", project, "reviewer"))
    client.get(case_url(case))
    client.post(case_url(case), approve(case, decision="reject", codes=["id_image_badImage"],
                                        message_id_image_badImage="The photo is too dark: retake it in daylight."))
    rejected = Submission.objects.get(pk=case.pk)
    assert rejected.status == SubmissionStatus.REJECTED
    assert rejected.reject_comments == ["The photo is too dark: retake it in daylight."]


def test_four_eyes_through_the_pages(client, project, case):
    project.four_eyes_review = True
    project.save()
    rita, sam = staff_member("rita", project, "reviewer"), staff_member("sam", project, "reviewer")
    client.force_login(rita)
    client.get(case_url(case))
    response = client.post(case_url(case), approve(case), follow=True)
    assert any("awaits a second reviewer" in m for m in messages_of(response))
    proposal = ReviewDecision.objects.get(submission=case)
    html = client.get(case_url(case)).content.decode()
    assert "Awaiting a second reviewer" in html and 'id="confirm"' not in html
    refused = client.post(case_url(case), {"action": "confirm", "review_id": proposal.pk})
    assert "Nobody confirms their own decision" in refused.content.decode()
    assert "awaits 2nd reviewer" in client.get(QUEUE + "?awaiting=1").content.decode()
    client.force_login(sam)
    assert 'id="confirm"' in client.get(case_url(case)).content.decode()
    client.post(case_url(case), {"action": "confirm", "review_id": proposal.pk})
    assert Submission.objects.get(pk=case.pk).status == SubmissionStatus.APPROVED
    assert AuditEvent.objects.filter(submission=case, action="review_confirmed", actor_label="sam").exists()


def test_an_auditor_sees_the_case_masked_and_decides_nothing(client, project, case):
    client.force_login(staff_member("audrey", project, "auditor"))
    response = client.get(case_url(case))
    html = response.content.decode()
    assert response.status_code == 200 and "Images are hidden" in html
    assert "AB1234567" not in html and "•••" in html and "<polygon" not in html
    assert 'id="decision-form"' not in html and not ReviewClaim.objects.exists()
    stored = case.files.first()
    assert client.get(stored_file_admin_url(stored)).status_code == 403  # a valid URL, the wrong role
    assert client.post(case_url(case), approve(case)).status_code == 403
    change = client.get(reverse("admin:submissions_submission_change", args=[case.pk])).content.decode()
    assert "AB1234567" not in change


def test_every_url_of_another_projects_submission_is_a_404(client, project, case):
    stranger_project = ProjectFactory()
    client.force_login(staff_member("rita", stranger_project, "operator"))
    stored = case.files.first()
    audit_event = AuditEvent.objects.filter(submission=case).first()
    review = ReviewDecision.objects.create(submission=case, reviewer_label="x", decision="approve")
    urls = [
        reverse("admin:submissions_submission_change", args=[case.pk]),
        reverse("admin:submissions_submission_history", args=[case.pk]),
        reverse("admin:submissions_submission_delete", args=[case.pk]),
        reverse("admin:submissions_submission_decide", args=[case.pk]),
        stored_file_admin_url(stored),  # even signed, another project's image is not found
        reverse("admin:audit_auditevent_change", args=[audit_event.pk]),
        reverse("admin:reviews_reviewdecision_change", args=[review.pk]),
        reverse("admin:submissions_project_change", args=[project.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "decide", "decision": "approve"}).status_code == 404, url
    changelist = client.get(reverse("admin:submissions_submission_changelist")).content.decode()
    assert case.submission_id not in changelist
    assert case.submission_id not in client.get(QUEUE + f"?project={project.pk}").content.decode()
    assert case_url(case) not in client.get(QUEUE + f"?q={case.submission_id}").content.decode()
    assert Submission.objects.get(pk=case.pk).status == SubmissionStatus.PENDING


def test_a_user_without_any_project_is_refused_the_queue(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("idle", password="a-long-test-password", is_staff=True))
    assert client.get(QUEUE).status_code == 403


def test_the_workspace_pages_send_a_strict_script_policy(client, project, case):
    client.force_login(staff_member("rita", project, "reviewer"))
    for url in (QUEUE, case_url(case), "/admin/review/dashboard/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
