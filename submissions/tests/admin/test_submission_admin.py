import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from reviews.models import ReviewDecision
from submissions.choices import FileKind, SubmissionStatus
from submissions.file_urls import stored_file_admin_url
from submissions.models import StoredFile
from submissions.tests.admin.helpers import messages_of, staff_member, submission_pending
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:submissions_submission_changelist")
# Session, user, the project filter's choices, count, one page of rows, plus the savepoint pair of
# ATOMIC_REQUESTS: fixed, whatever the number of rows.
CHANGELIST_MAX_QUERIES = 7


def change_url(submission):
    return reverse("admin:submissions_submission_change", args=[submission.pk])


def file_url(submission, stored):
    """The image URL as the workspace renders it: signed, expiring."""
    return stored_file_admin_url(stored)


def test_changelist_renders(admin_client, pending):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert pending.submission_id in response.content.decode()


def test_changelist_search_by_submission_id_and_email(admin_client, pending, project):
    other = SubmissionFactory(project=project, email="zed@example.com")
    by_id = admin_client.get(CHANGELIST, {"q": pending.submission_id}).content.decode()
    assert pending.submission_id in by_id and other.submission_id not in by_id
    by_email = admin_client.get(CHANGELIST, {"q": "ZED@example.com "}).content.decode()
    assert other.submission_id in by_email and pending.submission_id not in by_email


def test_changelist_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    # given: 50 submissions over several projects
    projects = ProjectFactory.create_batch(3)
    for i in range(50):
        SubmissionFactory(project=projects[i % 3], target_status=SubmissionStatus.PENDING)
    # when / then
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50


def test_changelist_defers_the_heavy_json(admin_client, pending):
    response = admin_client.get(CHANGELIST)
    row = response.context["cl"].result_list[0]
    assert {"extracted_data", "entered_data", "custom_options"} <= row.get_deferred_fields()


def test_change_page_renders_read_only_with_inlines(admin_client, pending):
    response = admin_client.get(change_url(pending))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="status"' not in html  # status is never an input
    assert not re.search(r'<(input|select|textarea)[^>]+name="(email|status|issuing_country|retry_count)"', html)
    for stored in pending.files.all():
        assert file_url(pending, stored) in html
    assert "Audit trail" in html and "submitted" in html
    assert "Review and decide" in html


def test_status_is_never_editable_even_when_posted(admin_client, pending):
    response = admin_client.post(change_url(pending), {"status": "approved"})
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING


def test_no_add_and_no_delete(admin_client, pending):
    assert admin_client.get(reverse("admin:submissions_submission_add")).status_code == 403
    assert admin_client.get(reverse("admin:submissions_submission_delete", args=[pending.pk])).status_code == 403


def test_decide_button_only_for_pending_and_deciders(client, pending, project):
    approved = SubmissionFactory(project=project, target_status=SubmissionStatus.APPROVED)
    viewer = staff_member("viewer", project, "auditor")
    decider = staff_member("decider", project, "reviewer")
    client.force_login(decider)
    assert "Review and decide" in client.get(change_url(pending)).content.decode()
    assert "Review and decide" not in client.get(change_url(approved)).content.decode()
    client.force_login(viewer)
    assert "Review and decide" not in client.get(change_url(pending)).content.decode()


# -- image view ----------------------------------------------------------------------


def test_image_view_streams_the_file_to_a_viewer(client, pending, project):
    client.force_login(staff_member("viewer", project, "reviewer"))
    stored = pending.files.get(kind=FileKind.ID_FRONT)
    response = client.get(file_url(pending, stored))
    assert response.status_code == 200
    assert response["Content-Type"] == stored.content_type
    assert response["Cache-Control"] == "private, no-store"
    body = response.content  # decrypted: the stored object is ciphertext
    assert len(body) == stored.byte_size and body[:2] == b"\xff\xd8"


def test_image_view_refuses_staff_without_a_role_in_the_project(client, pending, project):
    other = ProjectFactory()
    client.force_login(staff_member("stranger", other, "reviewer"))
    stored = pending.files.first()
    assert client.get(file_url(pending, stored)).status_code == 404


def test_image_view_refuses_an_auditor_personal_data(client, pending, project):
    client.force_login(staff_member("auditor", project, "auditor"))
    assert client.get(file_url(pending, pending.files.first())).status_code == 403


def test_image_view_redirects_anonymous_to_login(client, pending):
    response = client.get(file_url(pending, pending.files.first()))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_image_view_404_for_a_file_of_another_submission(admin_client, pending, project):
    other = submission_pending(project, email="other@example.com")
    foreign = StoredFile.objects.filter(submission=other).first()
    signed = file_url(other, foreign).split("?")[1]  # a valid signature of the other file
    path = reverse("admin:submissions_submission_file", args=[pending.pk, foreign.pk])
    assert admin_client.get(f"{path}?{signed}").status_code == 404


# -- actions -------------------------------------------------------------------------


def test_bulk_approve_approves_pending_and_reports_refusals(reviewer_client, project):
    # given
    first = submission_pending(project, email="one@example.com")
    second = submission_pending(project, email="two@example.com")
    incomplete = SubmissionFactory(project=project)
    # when
    response = reviewer_client.post(
        CHANGELIST,
        {"action": "approve_selected", "_selected_action": [first.pk, second.pk, incomplete.pk]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    for submission in (first, second):
        submission.refresh_from_db()
        assert submission.status == SubmissionStatus.APPROVED
        assert ReviewDecision.objects.filter(submission=submission, decision="approve").exists()
        assert AuditEvent.objects.filter(submission=submission, action="review_approved").exists()
    incomplete.refresh_from_db()
    assert incomplete.status == SubmissionStatus.INCOMPLETE
    texts = messages_of(response)
    assert "Approved 2 submission(s)." in texts
    assert any(incomplete.submission_id in t and "not pending review" in t for t in texts)


def test_bulk_actions_need_the_decide_permission(client, pending, project):
    client.force_login(staff_member("viewer", project, "auditor"))
    response = client.get(CHANGELIST)
    assert "approve_selected" not in response.content.decode()
    client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING


def test_bulk_reject_shows_the_form_then_rejects(reviewer_client, project):
    first = submission_pending(project, email="one@example.com")
    second = submission_pending(project, email="two@example.com")
    selected = {"action": "reject_selected", "_selected_action": [first.pk, second.pk]}
    # the intermediate page
    page = reviewer_client.post(CHANGELIST, selected)
    assert page.status_code == 200
    assert "id_image_badImage" in page.content.decode() and first.submission_id in page.content.decode()
    # a rejection without a code is refused on the page
    refused = reviewer_client.post(CHANGELIST, {**selected, "apply": "yes"})
    assert refused.status_code == 200 and "Choose at least one reject comment code." in refused.content.decode()
    first.refresh_from_db()
    assert first.status == SubmissionStatus.PENDING
    # applying rejects both
    done = reviewer_client.post(
        CHANGELIST, {**selected, "apply": "yes", "codes": ["id_image_badImage"], "note": "blurry"}, follow=True
    )
    assert "Rejected 2 submission(s)." in messages_of(done)
    for submission in (first, second):
        submission.refresh_from_db()
        assert submission.status == SubmissionStatus.REJECTED
        assert submission.reject_codes == ["id_image_badImage"]
        assert ReviewDecision.objects.get(submission=submission).internal_note == "blurry"


def test_a_reviewer_with_submission_view_permission_sees_files_checks_and_trail(reviewer_client, pending):
    html = reviewer_client.get(change_url(pending)).content.decode()
    for stored in pending.files.all():
        assert file_url(pending, stored) in html
    assert "Audit trail" in html and "step1_completed" in html
    assert "Review and decide" in html


def test_an_image_url_without_a_valid_fresh_signature_is_refused(client, pending, project, settings):
    client.force_login(staff_member("viewer", project, "reviewer"))
    front, selfie = pending.files.get(kind=FileKind.ID_FRONT), pending.files.get(kind=FileKind.SELFIE)
    bare = reverse("admin:submissions_submission_file", args=[pending.pk, front.pk])
    assert client.get(bare).status_code == 403
    assert client.get(bare + "?sig=" + file_url(pending, selfie).split("sig=")[1]).status_code == 403  # another file
    assert client.get(file_url(pending, front)).status_code == 200
    settings.KYC_IMAGE_URL_TTL_SECONDS = -1
    assert client.get(file_url(pending, front)).status_code == 403  # expired
