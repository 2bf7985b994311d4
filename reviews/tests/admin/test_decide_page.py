import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from reviews.models import ProjectMembership, ReviewClaim, ReviewDecision
from reviews.services import review_approve
from submissions.choices import SubmissionStatus
from submissions.tests.admin.helpers import messages_of, staff_member, submission_pending
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


NEXT_CASE_URL = "/admin/review/queue/?next=1"


def decide_url(submission):
    return reverse("admin:submissions_submission_decide", args=[submission.pk])


def change_url(submission):
    return reverse("admin:submissions_submission_change", args=[submission.pk])


def post_data(submission, **values) -> dict:
    """The form as the page posts it: edit fields prefilled with the submission's values."""
    data = {
        "issuing_country": submission.issuing_country,
        "id_type": submission.id_type,
        "name": submission.entered_data.get("name", ""),
        "date_of_birth": submission.entered_data.get("date_of_birth", ""),
        "date_of_issue": submission.entered_data.get("date_of_issue", ""),
        "date_of_expiry": submission.entered_data.get("date_of_expiry", ""),
        "document_number": submission.entered_data.get("document_number", ""),
        "comment": "",
        "note": "",
    }
    data.update(values)
    return data


def test_page_shows_images_data_checks_and_the_form(reviewer_client, pending):
    response = reviewer_client.get(decide_url(pending))
    assert response.status_code == 200
    html = response.content.decode()
    for stored in pending.files.all():
        assert reverse("admin:submissions_submission_file", args=[pending.pk, stored.pk]) in html
    assert "ID front" in html and "Selfie" in html
    assert "Extracted from the document" in html and "Entered by the applicant" in html
    assert "AB1234567" in html  # entered document number, also prefilled in the edit field
    assert "Checks and retry history" in html and "Retries" in html
    assert 'value="id_info_dataMismatch"' in html and "id_info_dataMismatch — " in html
    assert 'name="date_of_birth"' in html and 'value="1990-04-12"' in html
    assert "<script>" not in html.replace('<script src="', "")  # no inline script


def test_approve(reviewer_client, pending):
    response = reviewer_client.post(decide_url(pending), post_data(pending, decision="approve", note="looks fine"))
    assert response.status_code == 302 and response["Location"] == NEXT_CASE_URL
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.APPROVED
    review = ReviewDecision.objects.get(submission=pending)
    assert review.decision == "approve" and review.reviewer == reviewer_client.user
    assert review.internal_note == "looks fine" and review.edits == {}
    assert AuditEvent.objects.filter(submission=pending, action="review_approved", actor_label="reviewer").exists()
    assert not AuditEvent.objects.filter(submission=pending, action="edited").exists()
    followed = reviewer_client.get(response["Location"], follow=True)
    assert f"Submission {pending.submission_id} is now Approved." in messages_of(followed)


def test_reject_with_codes(reviewer_client, pending):
    response = reviewer_client.post(
        decide_url(pending),
        post_data(pending, decision="reject", codes=["id_image_badImage", "other"], comment="Please retake it."),
        follow=True,
    )
    assert f"Submission {pending.submission_id} is now Rejected with id_image_badImage, other." in messages_of(response)
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.REJECTED
    assert pending.reject_codes == ["id_image_badImage", "other"]
    assert pending.reject_comments[-1] == "Please retake it."
    review = ReviewDecision.objects.get(submission=pending)
    assert review.reject_codes == ["id_image_badImage", "other"] and review.comment == "Please retake it."
    assert AuditEvent.objects.filter(submission=pending, action="review_rejected").exists()


def test_reject_without_a_code_is_refused(reviewer_client, pending):
    response = reviewer_client.post(decide_url(pending), post_data(pending, decision="reject"))
    assert response.status_code == 200
    assert "Choose at least one reject comment code." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING


def test_other_without_a_comment_shows_the_error_and_changes_nothing(reviewer_client, pending):
    audit_before = AuditEvent.objects.exclude(action="review_claimed").count()
    response = reviewer_client.post(
        decide_url(pending), post_data(pending, decision="reject", codes=["other"], name="Anna Maria Nowak")
    )
    assert response.status_code == 200
    assert "A comment for the applicant is required with the reject code" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING
    assert pending.entered_data["name"] == "Anna Nowak"
    assert not ReviewDecision.objects.exists()
    assert AuditEvent.objects.exclude(action="review_claimed").count() == audit_before


def test_only_changed_fields_are_edited(reviewer_client, pending):
    reviewer_client.post(decide_url(pending), post_data(pending, decision="approve", name="Anna Maria Nowak"))
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.APPROVED
    assert pending.entered_data["name"] == "Anna Maria Nowak"
    assert ReviewDecision.objects.get(submission=pending).edits == {"name": "Anna Maria Nowak"}
    edited = AuditEvent.objects.get(submission=pending, action="edited")
    assert edited.before_plain == {"name": "Anna Nowak"} and edited.after_plain == {"name": "Anna Maria Nowak"}


def test_edited_birth_date_under_the_age_limit_rejects_with_id_info_not_of_age(reviewer_client):
    # given: a project with an age limit and an adult applicant
    project = ProjectFactory(age_limit=18)
    ProjectMembership.objects.create(user=reviewer_client.user, project=project, role="reviewer")
    submission = submission_pending(project)
    under_age = (datetime.date.today() - datetime.timedelta(days=365 * 10)).isoformat()
    # when: the reviewer corrects the birth date and approves
    response = reviewer_client.post(
        decide_url(submission), post_data(submission, decision="approve", date_of_birth=under_age), follow=True
    )
    # then: the rules reject it, and the message says so
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["id_info_notOfAge"]
    assert any("is now Rejected with id_info_notOfAge" in m for m in messages_of(response))
    review = ReviewDecision.objects.get(submission=submission)
    assert review.decision == "reject" and review.edits == {"date_of_birth": under_age}


def test_an_invalid_edit_shows_the_service_error(reviewer_client, pending):
    response = reviewer_client.post(decide_url(pending), post_data(pending, decision="approve", issuing_country="XX"))
    assert response.status_code == 200
    assert "Invalid value for: issuing_country." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING and pending.issuing_country == "POL"


def test_a_decided_submission_shows_the_not_pending_message(reviewer_client, project):
    approved = SubmissionFactory(project=project, target_status=SubmissionStatus.APPROVED)
    page = reviewer_client.get(decide_url(approved))
    assert page.status_code == 200
    assert "This submission is not pending review." in page.content.decode()
    assert 'name="decision"' not in page.content.decode()
    posted = reviewer_client.post(
        decide_url(approved), post_data(approved, decision="reject", codes=["other"], comment="x")
    )
    assert posted.status_code == 200 and "This submission is not pending review." in posted.content.decode()
    approved.refresh_from_db()
    assert approved.status == SubmissionStatus.APPROVED
    assert not ReviewDecision.objects.exists()


def test_a_race_lost_while_the_form_was_open_shows_not_pending(reviewer_client, pending):
    # given: the page was loaded, the claim lapsed, then another reviewer decided
    reviewer_client.get(decide_url(pending))
    ReviewClaim.objects.filter(submission=pending).update(last_seen_at=timezone.now() - datetime.timedelta(hours=1))
    review_approve(submission_id=pending.submission_id, actor=Actor.system("other reviewer"))
    # when
    response = reviewer_client.post(
        decide_url(pending), post_data(pending, decision="reject", codes=["other"], comment="late")
    )
    # then
    assert response.status_code == 200 and "This submission is not pending review." in response.content.decode()
    assert 'name="decision"' not in response.content.decode()  # the page shows the row as it now is
    assert ReviewDecision.objects.filter(submission=pending).count() == 1


def test_an_auditor_reads_the_case_but_cannot_decide(client, pending, project):
    client.force_login(staff_member("viewer", project, "auditor"))
    page = client.get(decide_url(pending))
    assert page.status_code == 200 and 'name="decision"' not in page.content.decode()
    assert client.post(decide_url(pending), post_data(pending, decision="approve")).status_code == 403
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING


def test_the_page_needs_a_staff_login(client, pending):
    response = client.get(decide_url(pending))
    assert response.status_code == 302 and "/login/" in response["Location"]
